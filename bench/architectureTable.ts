/**
 * The sharing-architecture results table: every architecture × balancing method × seed
 * on one or more image-pair benchmarks (MultiFashion, Multi-(Fashion+MNIST), …), each
 * multi-task run compared with single-task baselines trained with the same seed. Per
 * row: each task's main metric (×100) and Δm as mean ± std over seeds, the multi-task
 * model's parameter count and its training time per step.
 *
 *   node --import tsx bench/architectureTable.ts \
 *     --experiment examples/multifashion.yaml,examples/multi-fashion-mnist.yaml \
 *     [--architectures hard-sharing,soft-sharing,cross-stitch,mtan,mmoe,ple,adashare] \
 *     [--methods equal,pcgrad] [--gradient-mode parameters|representation] \
 *     [--seeds 0,1,2] [--epochs N] [--train-size N] [--out runs/arch-table]
 *
 * - Every architecture uses the experiment's encoder, heads and training settings
 *   (`model.options` are dropped: the architectures' defaults apply).
 * - The single-task baselines are the experiment's encoder with one task's head
 *   (`hard-sharing` with one task), whatever the multi-task architecture; Δm in %,
 *   lower is better.
 * - Gradient methods run in their default gradient mode (`parameters` for PCGrad)
 *   unless --gradient-mode says otherwise.
 * - A combination the library refuses (AdaShare with the LeNet encoder, a gradient
 *   method on soft sharing, which has no shared parameters, …) is a row of "n/a" with
 *   the library's reason under the table, not a missing row.
 * - Step time: the training seconds of the multi-task run's epochs in metrics.jsonl
 *   (evaluation excluded) over its steps, averaged over seeds; for AdaShare these are
 *   the re-training steps of the chosen networks. Run time: the multi-task run's wall
 *   seconds, averaged over seeds, everything included (AdaShare's policy search, the
 *   per-epoch evaluation; a resumed run counts from its resumption). Both depend on
 *   the machine and on what else runs on it.
 *
 * Runs live in `<out>/<experiment name>/<architecture>-<method>-s<seed>/` and
 * `…/baselines-s<seed>/`; finished runs are reused and a stopped run resumes from its
 * checkpoint, so the command can be stopped and started again. A folder that holds a
 * run of another configuration (other epochs or training size) is refused: pick
 * another --out.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { MtlError } from '../src/errors.js';
import { deltaM } from '../src/evaluation/deltaM.js';
import { readExperiment, validateExperiment, type ExperimentConfig } from '../src/experiment/config.js';
import { readSummary, runBaselines, runExperiment, type RunSummary } from '../src/experiment/runExperiment.js';
import { SEARCH_CHECKPOINT_DIR, hasSearchCheckpoint } from '../src/training/adashareTraining.js';
import { formatMeanStd, meanStd } from '../src/report/meanStd.js';

const { values } = parseArgs({
  options: {
    experiment: { type: 'string', default: 'examples/multifashion.yaml' },
    architectures: { type: 'string', default: 'hard-sharing,soft-sharing,cross-stitch,mtan,mmoe,ple,adashare' },
    methods: { type: 'string', default: 'equal,pcgrad' },
    'gradient-mode': { type: 'string' },
    seeds: { type: 'string', default: '0,1,2' },
    epochs: { type: 'string' },
    'train-size': { type: 'string' },
    out: { type: 'string', default: join('runs', 'arch-table') },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
const experiments = list(values.experiment!);
const architectures = list(values.architectures!);
const methods = list(values.methods!);
const seeds = list(values.seeds!).map(Number);
const epochs = values.epochs ? Number(values.epochs) : undefined;
const trainSize = values['train-size'] ? Number(values['train-size']) : undefined;
const gradientMode = values['gradient-mode'];
if (gradientMode !== undefined && gradientMode !== 'parameters' && gradientMode !== 'representation') {
  throw new Error(`architectureTable: --gradient-mode must be "parameters" or "representation", found "${gradientMode}"`);
}
const quiet = { progress: false, log: () => {} };

/** The experiment with this table's overrides: seed, epochs, training size, no baselines. */
function variant(base: ExperimentConfig, seed: number, changes: Partial<ExperimentConfig>): ExperimentConfig {
  if (trainSize !== undefined && base.data.source === 'csv') {
    throw new Error('architectureTable: --train-size needs a data source with trainSize (image pairs or synthetic), not csv');
  }
  const data = { ...base.data, ...(trainSize !== undefined ? { trainSize } : {}) };
  return validateExperiment(
    {
      ...base,
      seed,
      data,
      training: { ...base.training, ...(epochs !== undefined ? { epochs } : {}) },
      baselines: false,
      ...changes,
    },
    'architectureTable',
  );
}

/** Refuse to mix runs of two configurations in one folder. */
function checkFolder(dir: string, config: ExperimentConfig): void {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return;
  const busy = existsSync(join(dir, 'checkpoint')) || existsSync(join(dir, 'summary.json')) || existsSync(join(dir, 'refused.json'));
  if (busy && readFileSync(path, 'utf8') !== JSON.stringify(config, null, 2) + '\n') {
    throw new Error(`architectureTable: ${dir} holds a run of another configuration; use another --out or remove that folder`);
  }
}

type Outcome = { summary: RunSummary; stepMs: number } | { refused: string };

/** Train (or reuse, or resume) one multi-task run; a refusal by the library is an outcome, not a crash. */
async function multiTaskRun(config: ExperimentConfig, dir: string): Promise<Outcome> {
  checkFolder(dir, config);
  const refusedPath = join(dir, 'refused.json');
  if (existsSync(refusedPath)) return { refused: (JSON.parse(readFileSync(refusedPath, 'utf8')) as { reason: string }).reason };
  let summary = readSummary(dir);
  if (!summary?.multiTask) {
    try {
      // A run stopped in AdaShare's policy search (or after it) resumes from the search's checkpoint.
      const resume = existsSync(join(dir, 'checkpoint')) || hasSearchCheckpoint(join(dir, SEARCH_CHECKPOINT_DIR));
      summary = await runExperiment(config, { runDir: dir, resume, ...quiet, baselines: false });
    } catch (error) {
      if (!(error instanceof MtlError)) throw error;
      const reason = `[${error.code}] ${error.message}`;
      writeFileSync(refusedPath, JSON.stringify({ reason }, null, 2) + '\n');
      return { refused: reason };
    }
  }
  return { summary, stepMs: trainingMsPerStep(dir) };
}

/** Training milliseconds per step of a run folder, from the epoch records of metrics.jsonl (evaluation excluded). */
function trainingMsPerStep(dir: string): number {
  let seconds = 0;
  let steps = 0;
  let previous = 0;
  for (const line of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as { type: string; step: number; seconds: number };
    if (record.type !== 'epoch') continue;
    seconds += record.seconds;
    steps += record.step - previous;
    previous = record.step;
  }
  return steps > 0 ? (1000 * seconds) / steps : NaN;
}

const fmt = (xs: number[], scale = 1) => formatMeanStd(xs, { scale });
/** One count, or "min–max" when the seeds' models differ in size. */
const parameterRange = (counts: number[]) => {
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  return low === high ? `${low}` : `${low}–${high}`;
};
const mainMetric = (e: { metrics: Record<string, number> }) => Object.values(e.metrics)[0]!;

await selectBackend();
for (const path of experiments) {
  const base = readExperiment(path);
  const folder = join(values.out!, base.name);
  const tasks = base.tasks.map((t) => t.name);

  const baselines = new Map<number, RunSummary>();
  for (const seed of seeds) {
    const dir = join(folder, `baselines-s${seed}`);
    // The single-task network: the experiment's encoder and one head (hard sharing with one task).
    const config = variant(base, seed, { model: { architecture: 'hard-sharing', encoder: base.model.encoder }, weighting: { method: 'equal' } });
    checkFolder(dir, config);
    const done = readSummary(dir);
    const complete = done?.singleTask && tasks.every((t) => done.singleTask![t]);
    baselines.set(seed, complete ? done : await runBaselines(config, { runDir: dir, resume: existsSync(dir), ...quiet }));
    console.error(`${base.name}: baselines seed ${seed} done`);
  }

  const rows: string[] = [];
  const notes: string[] = [];
  let effectiveEpochs = epochs ?? base.training.epochs;
  for (const architecture of architectures) {
    for (const method of methods) {
      const metric: Record<string, number[]> = Object.fromEntries(tasks.map((t) => [t, []]));
      const deltas: number[] = [];
      const stepMs: number[] = [];
      const runSeconds: number[] = [];
      // Per seed: AdaShare's count depends on its learned policy (per-path batch norm).
      const parameters: number[] = [];
      let refused: string | undefined;
      for (const seed of seeds) {
        const dir = join(folder, `${architecture}-${method}-s${seed}`);
        let config: ExperimentConfig;
        try {
          config = variant(base, seed, {
            name: `${base.name}-${architecture}-${method}-s${seed}`,
            model: { architecture, encoder: base.model.encoder },
            weighting: { method, ...(gradientMode ? { gradientMode: gradientMode as 'parameters' | 'representation' } : {}) },
          });
        } catch (error) {
          if (!(error instanceof MtlError)) throw error;
          refused = `[${error.code}] ${error.message}`;
          break;
        }
        const outcome = await multiTaskRun(config, dir);
        if ('refused' in outcome) {
          refused = outcome.refused;
          console.error(`${base.name}: ${architecture} + ${method}: refused: ${refused}`);
          break;
        }
        const { summary } = outcome;
        const b = baselines.get(seed)!.singleTask!;
        deltas.push(
          deltaM(
            tasks.flatMap((t) =>
              Object.entries(summary.multiTask!.evaluation[t]!.metrics).map(([m, v]) => ({
                task: t,
                metric: m,
                direction: (['mse', 'rmse', 'mae'].includes(m) ? 'lower' : 'higher') as 'lower' | 'higher',
                multiTask: v,
                singleTask: b[t]!.evaluation.metrics[m]!,
              })),
            ),
          ),
        );
        for (const t of tasks) metric[t]!.push(mainMetric(summary.multiTask!.evaluation[t]!));
        parameters.push(summary.multiTask!.parameters);
        stepMs.push(outcome.stepMs);
        runSeconds.push(summary.multiTask!.seconds);
        effectiveEpochs = summary.multiTask!.epochs;
        console.error(
          `${base.name}: ${architecture} + ${method} seed ${seed}: ${tasks.map((t) => `${t} ${(100 * metric[t]!.at(-1)!).toFixed(2)}`).join(', ')}, Δm ${deltas.at(-1)!.toFixed(2)}%, ${outcome.stepMs.toFixed(1)} ms/step`,
        );
      }
      if (refused !== undefined) {
        if (!notes.includes(refused)) notes.push(refused);
        const mark = `n/a (${notes.indexOf(refused) + 1})`;
        rows.push(`| ${architecture} | ${method} | ${tasks.map(() => mark).join(' | ')} | ${mark} | — | — | — |`);
      } else {
        rows.push(
          `| ${architecture} | ${method} | ${tasks.map((t) => fmt(metric[t]!, 100)).join(' | ')} | ${fmt(deltas)} | ${parameterRange(parameters)} | ${meanStd(stepMs).mean.toFixed(1)} | ${meanStd(runSeconds).mean.toFixed(0)} |`,
        );
      }
    }
  }
  const single = tasks.map((t) => fmt(seeds.map((s) => mainMetric(baselines.get(s)!.singleTask![t]!.evaluation)), 100));
  const singleParameters = tasks.reduce((s, t) => s + baselines.get(seeds[0]!)!.singleTask![t]!.parameters, 0);
  const mainMetricName = Object.keys(baselines.get(seeds[0]!)!.singleTask![tasks[0]!]!.evaluation.metrics)[0];
  const lines = [
    `\n${base.name}${trainSize !== undefined ? ` (first ${trainSize} training examples)` : ''}, ${seeds.length} seed(s) (${seeds.join(', ')}), ${effectiveEpochs} epoch(s), ` +
      `encoder ${base.model.encoder.type}${gradientMode ? `, gradient mode ${gradientMode}` : ", each method's default gradient mode"}; ` +
      `${mainMetricName} ×100, Δm in % against single-task baselines of the same seed (lower is better); step time: training ms per step; run time: wall seconds of the whole multi-task run\n`,
    `| architecture | method | ${tasks.join(' | ')} | Δm | parameters | ms/step | run s |`,
    `| --- | --- | ${tasks.map(() => '---').join(' | ')} | --- | --- | --- | --- |`,
    `| single-task (${tasks.length} networks) | — | ${single.join(' | ')} | 0 | ${singleParameters} | — | — |`,
    ...rows,
  ];
  if (notes.length > 0) lines.push('', ...notes.map((n, i) => `(${i + 1}) ${n}`));
  console.log(lines.join('\n'));
}
