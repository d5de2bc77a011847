/**
 * The MMoE relatedness sweep (Ma et al., "Modeling Task Relationships in Multi-task
 * Learning with Multi-gate Mixture-of-Experts", KDD 2018, section 3.2 and figure 4):
 * two synthetic regression tasks whose relatedness is set by the cosine p between their
 * weight vectors (`synthetic-mmoe` data), trained with hard sharing, MMoE and PLE at
 * comparable parameter counts, for each p and seed. Prints a Markdown table of the test
 * MSE (averaged over the two tasks), mean ± std over seeds, and each architecture's
 * change against hard sharing trained on the same seed's data (mean ± std, median, and
 * in how many seeds it is better: a few failed runs move the mean a lot).
 *
 *   node --import tsx bench/mmoeSweep.ts [--correlations 1,0.9,0.5,0] \
 *     [--architectures hard-sharing,mmoe,ple] [--seeds 0,1,2] [--train-size N] \
 *     [--test-size N] [--epochs N] [--shared-width 126] [--expert-width 16] [--sinusoids normal|fixed] \
 *     [--out runs/mmoe-sweep]
 *
 * Data: the generator's defaults (d = 100, 10 sinusoids, noise std 0.1), 10,000
 * training / 2,000 test examples; each seed draws its own problem. `--sinusoids fixed`
 * takes the sinusoids' frequencies α_j = j and phases β_j = (j − 1)² instead of N(0, 1)
 * draws (the paper gives no values; see `mmoeSynthetic`). Training: 25
 * epochs, batch 128, Adam lr 1e-3 (all options). Models (input x ∈ R^100): 8
 * single-layer experts as in the paper; the widths (experts of 16 units, towers of 8)
 * are those of public reimplementations of its synthetic experiment, not checked
 * against the paper:
 * - hard sharing: one shared ReLU layer of `--shared-width` (default 126) units;
 * - MMoE: 8 experts of `--expert-width` (default 16) units, one softmax gate per task;
 * - PLE (one CGC level): 4 shared experts + 2 experts per task, all of `--expert-width` units; each
 *   task's gate weighs its own 2 and the 4 shared ones.
 * Each task's tower: dense(8, ReLU) → dense(1). Parameter counts (printed with the
 * table) are within 3% of one another at the defaults. Equal weighting, Adam.
 *
 * Each run lives in `<out>/<architecture>-p<correlation>-s<seed>/`; finished runs
 * (summary.json) are reused and a run stopped mid-way resumes from its checkpoint, so
 * the command can be stopped and started again. A folder holding a different
 * configuration (other sizes or epochs) is refused: pick another --out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { validateExperiment, type ExperimentConfig } from '../src/experiment/config.js';
import { readSummary, runExperiment, type RunSummary } from '../src/experiment/runExperiment.js';
import { formatMeanStd, meanStd } from '../src/evaluation/meanStd.js';
import { median } from './median.js';

const { values } = parseArgs({
  options: {
    correlations: { type: 'string', default: '1,0.9,0.5,0' },
    architectures: { type: 'string', default: 'hard-sharing,mmoe,ple' },
    seeds: { type: 'string', default: '0,1,2' },
    'train-size': { type: 'string', default: '10000' },
    'test-size': { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '25' },
    'batch-size': { type: 'string', default: '128' },
    'learning-rate': { type: 'string', default: '0.001' },
    'shared-width': { type: 'string', default: '126' },
    'expert-width': { type: 'string', default: '16' },
    sinusoids: { type: 'string', default: 'normal' },
    out: { type: 'string', default: join('runs', 'mmoe-sweep') },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
const correlations = list(values.correlations!).map(Number);
const architectures = list(values.architectures!);
const seeds = list(values.seeds!).map(Number);
const trainSize = Number(values['train-size']);
const testSize = Number(values['test-size']);
const epochs = Number(values.epochs);
const batchSize = Number(values['batch-size']);
const learningRate = Number(values['learning-rate']);
const sharedWidth = Number(values['shared-width']);
const expertWidth = Number(values['expert-width']);
const sinusoidParams = values.sinusoids!;
if (sinusoidParams !== 'normal' && sinusoidParams !== 'fixed') {
  throw new Error(`mmoeSweep: --sinusoids must be "normal" or "fixed", found "${sinusoidParams}"`);
}
const out = values.out!;

/** Model settings per architecture (see the header). */
const MODELS: Record<string, { encoder: { type: 'mlp'; hidden: number[] }; options?: Record<string, unknown> }> = {
  'hard-sharing': { encoder: { type: 'mlp', hidden: [sharedWidth] } },
  mmoe: { encoder: { type: 'mlp', hidden: [expertWidth] }, options: { experts: 8 } },
  ple: { encoder: { type: 'mlp', hidden: [expertWidth] }, options: { levels: 1, sharedExperts: 4, taskExperts: 2 } },
};
for (const a of architectures) {
  if (!MODELS[a]) throw new Error(`mmoeSweep: no model settings for architecture "${a}"; use some of ${Object.keys(MODELS).join(', ')}`);
}

function experiment(architecture: string, correlation: number, seed: number): ExperimentConfig {
  const m = MODELS[architecture]!;
  return validateExperiment(
    {
      name: `mmoe-sweep-${architecture}-p${correlation}-s${seed}`,
      seed,
      data: { source: 'synthetic-mmoe', correlation, trainSize, testSize, ...(sinusoidParams === 'fixed' ? { sinusoidParams } : {}) },
      tasks: ['task0', 'task1'].map((name) => ({ name, kind: 'regression', head: { hidden: [8] } })),
      model: { architecture, encoder: m.encoder, ...(m.options ? { options: m.options } : {}) },
      weighting: { method: 'equal' },
      training: { epochs, batchSize, optimizer: { type: 'adam', learningRate } },
      baselines: false,
    },
    'mmoeSweep',
  );
}

/** Train one run, or reuse / resume the one already in its folder. */
async function run(config: ExperimentConfig, dir: string): Promise<{ summary: RunSummary; reused: boolean }> {
  const configPath = join(dir, 'config.json');
  const wanted = JSON.stringify(config, null, 2) + '\n';
  if (existsSync(configPath) && readFileSync(configPath, 'utf8') !== wanted && (existsSync(join(dir, 'checkpoint')) || existsSync(join(dir, 'summary.json')))) {
    throw new Error(`mmoeSweep: ${dir} holds a run with another configuration; use another --out or remove that folder`);
  }
  const done = readSummary(dir);
  if (done?.multiTask) return { summary: done, reused: true };
  const resume = existsSync(join(dir, 'checkpoint'));
  return { summary: await runExperiment(config, { runDir: dir, resume, progress: false, log: () => {}, baselines: false }), reused: false };
}

const fmt = (xs: number[], digits: number, sign = false) => formatMeanStd(xs, { digits, sign });
/** Mean over the tasks of the last epoch's training loss (MSE averaged over that epoch's batches), from metrics.jsonl. */
const finalTrainingMse = (dir: string) => {
  const epochs = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { type: string; trainLoss: Record<string, number> })
    .filter((r) => r.type === 'epoch');
  const losses = Object.values(epochs.at(-1)!.trainLoss);
  return losses.reduce((a, b) => a + b, 0) / losses.length;
};
const meanMse = (s: RunSummary) => {
  const e = Object.values(s.multiTask!.evaluation);
  return e.reduce((sum, t) => sum + t.metrics.mse!, 0) / e.length;
};

await selectBackend();
const started = Date.now();
// mse[architecture][correlation index][seed index]
const mse: Record<string, number[][]> = Object.fromEntries(architectures.map((a) => [a, correlations.map(() => [])]));
const trainMse: Record<string, number[][]> = Object.fromEntries(architectures.map((a) => [a, correlations.map(() => [])]));
const perTask: Record<string, number[][][]> = Object.fromEntries(architectures.map((a) => [a, correlations.map(() => [])]));
const parameters: Record<string, number> = {};
const stepMs: Record<string, number[]> = Object.fromEntries(architectures.map((a) => [a, []]));
for (const seed of seeds) {
  for (const [ci, correlation] of correlations.entries()) {
    for (const architecture of architectures) {
      const dir = join(out, `${architecture}-p${correlation}-s${seed}`);
      const t0 = Date.now();
      const { summary, reused } = await run(experiment(architecture, correlation, seed), dir);
      const value = meanMse(summary);
      mse[architecture]![ci]!.push(value);
      trainMse[architecture]![ci]!.push(finalTrainingMse(dir));
      perTask[architecture]![ci]!.push(Object.values(summary.multiTask!.evaluation).map((t) => t.metrics.mse!));
      parameters[architecture] = summary.multiTask!.parameters;
      stepMs[architecture]!.push((summary.multiTask!.seconds * 1000) / Math.max(summary.multiTask!.steps, 1));
      console.error(
        `${architecture} p=${correlation} seed ${seed}: test MSE ${value.toFixed(4)} (${reused ? 'reused' : `${((Date.now() - t0) / 1000).toFixed(0)} s`})`,
      );
    }
  }
}

const reference = architectures.includes('hard-sharing') ? 'hard-sharing' : undefined;
const others = architectures.filter((a) => a !== reference);
console.log(
  `\nMMoE synthetic (d = 100, m = 10 sinusoids with ${sinusoidParams === 'fixed' ? 'α_j = j, β_j = (j − 1)²' : 'α_j, β_j ~ N(0, 1)'}, noise std 0.1), ${trainSize} training / ${testSize} test examples, ` +
    `${epochs} epochs, batch ${batchSize}, Adam lr ${learningRate}, equal weighting, ${seeds.length} seed(s) (${seeds.join(', ')}); ` +
    `test MSE averaged over the two tasks, mean ± std over seeds (lower is better)` +
    (reference
      ? `; "vs hard sharing": per-seed relative change of that MSE against hard sharing on the same data, in % (negative = better), ` +
        `mean ± std, its median and the number of seeds where the architecture is better`
      : '') +
    `\n`,
);
const header = ['correlation p', ...architectures, ...(reference ? others.map((a) => `${a} vs hard sharing`) : [])];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const [ci, correlation] of correlations.entries()) {
  const cells = architectures.map((a) => fmt(mse[a]![ci]!, 4));
  const relative = reference
    ? others.map((a) => {
        const changes = mse[a]![ci]!.map((v, si) => (100 * (v - mse[reference]![ci]![si]!)) / mse[reference]![ci]![si]!);
        const sign = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '') + Math.abs(x).toFixed(1);
        return `${fmt(changes, 1, true)} (median ${sign(median(changes))}, better in ${changes.filter((c) => c < 0).length}/${changes.length})`;
      })
    : [];
  console.log(`| ${correlation} | ${[...cells, ...relative].join(' | ')} |`);
}
console.log(`| parameters | ${architectures.map((a) => String(parameters[a])).join(' | ')} |${reference ? others.map(() => ' |').join('') : ''}`);

console.log(`\nTraining MSE of the last epoch (mean over its batches and the two tasks), mean ± std over seeds:\n`);
console.log(`| correlation p | ${architectures.join(' | ')} |`);
console.log(`| --- | ${architectures.map(() => '---').join(' | ')} |`);
for (const [ci, correlation] of correlations.entries()) console.log(`| ${correlation} | ${architectures.map((a) => fmt(trainMse[a]![ci]!, 4)).join(' | ')} |`);

console.log(`\nPer task (task0 / task1 test MSE, mean over seeds):\n`);
console.log(`| correlation p | ${architectures.join(' | ')} |`);
console.log(`| --- | ${architectures.map(() => '---').join(' | ')} |`);
for (const [ci, correlation] of correlations.entries()) {
  const cells = architectures.map((a) => {
    const runs = perTask[a]![ci]!;
    return [0, 1].map((t) => meanStd(runs.map((r) => r[t]!)).mean.toFixed(4)).join(' / ');
  });
  console.log(`| ${correlation} | ${cells.join(' | ')} |`);
}
console.log(
  `\nwall time per training step, including evaluation (ms, mean over runs): ${architectures.map((a) => `${a} ${meanStd(stepMs[a]!).mean.toFixed(2)}`).join(', ')}; ` +
    `this invocation took ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
