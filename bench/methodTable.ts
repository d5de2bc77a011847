/**
 * The task-balancing results table: every method × seeds on one benchmark, each
 * multi-task run compared with single-task baselines trained with the same seed, as
 * mean ± std of each task's main metric and of Δm (lower is better).
 *
 *   node --import tsx bench/methodTable.ts --experiment examples/multimnist.yaml \
 *     --methods equal,mgda,pcgrad --seeds 0,1,2 [--epochs N] [--train-size N] [--out DIR]
 *
 * A method may carry options after `+` (`--methods graddrop,graddrop+keepGradientNorm=false`).
 *
 * Runs already finished in the output folder are reused, so the command can be
 * stopped and started again. Prints a Markdown table. The default folder is
 * runs/table-<experiment name>, with -e<N> / -n<N> appended when --epochs /
 * --train-size shrink the budget, so runs of different budgets never mix.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { readExperiment } from '../src/experiment/config.js';
import { readSummary, runBaselines, runExperiment, type RunSummary } from '../src/experiment/runExperiment.js';
import { formatMeanStd } from '../src/report/meanStd.js';

const { values } = parseArgs({
  options: {
    experiment: { type: 'string', default: 'examples/multimnist.yaml' },
    methods: { type: 'string', default: 'equal,mgda,pcgrad,cagrad,imtl-g,nash-mtl,upgrad,aligned-mtl' },
    seeds: { type: 'string', default: '0,1,2' },
    epochs: { type: 'string' },
    'train-size': { type: 'string' },
    out: { type: 'string' },
  },
});
await selectBackend();
const base = readExperiment(values.experiment!);
const methods = values.methods!.split(',');
const seeds = values.seeds!.split(',').map(Number);
const epochs = values.epochs ? Number(values.epochs) : undefined;
const trainSize = values['train-size'] ? Number(values['train-size']) : undefined;
if (trainSize !== undefined) {
  if (!Number.isInteger(trainSize) || trainSize <= 0) throw new Error(`methodTable: --train-size must be a positive integer, found "${values['train-size']}"`);
  if (base.data.source === 'csv') throw new Error('methodTable: --train-size needs a data source with trainSize (image pairs or synthetic), not csv');
  base.data = { ...base.data, trainSize } as typeof base.data;
}
const out = values.out ?? join('runs', `table-${base.name}${epochs ? `-e${epochs}` : ''}${trainSize ? `-n${trainSize}` : ''}`);
const quiet = { progress: false, log: () => {} };

const baselines = new Map<number, RunSummary>();
for (const seed of seeds) {
  const dir = join(out, `baselines-s${seed}`);
  const done = readSummary(dir);
  const config = { ...base, seed, baselines: false };
  baselines.set(seed, done?.singleTask && Object.keys(done.singleTask).length === base.tasks.length ? done : await runBaselines(config, { runDir: dir, resume: existsSync(dir), ...(epochs ? { epochs } : {}), ...quiet }));
  console.error(`baselines seed ${seed} done`);
}

/**
 * A --methods entry: a method name, optionally with options after `+`, each `key=value`
 * with the value read as JSON where it parses (`graddrop+keepGradientNorm=false`), a
 * dotted key for a nested option (`static+weights.right=0.5`); the entry is also the
 * row's label and the run folder's name.
 */
function weightingOf(entry: string): { method: string; options?: Record<string, unknown> } {
  const [method, ...pairs] = entry.split('+');
  if (pairs.length === 0) return { method: method! };
  const options: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`methodTable: option "${pair}" of "${entry}" is not key=value (e.g. graddrop+leak=0.5)`);
    const raw = pair.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    // A dotted key sets a nested option: static+weights.right=0.5 → { weights: { right: 0.5 } }.
    const path = pair.slice(0, at).split('.');
    let target = options;
    for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[path.at(-1)!] = value;
  }
  return { method: method!, options };
}

const tasks = base.tasks.map((t) => t.name);
const rows: string[] = [];
const fmt = (xs: number[], scale = 1) => formatMeanStd(xs, { scale });
for (const method of methods) {
  const metric: Record<string, number[]> = Object.fromEntries(tasks.map((t) => [t, []]));
  const deltas: number[] = [];
  for (const seed of seeds) {
    const dir = join(out, `${method}-s${seed}`);
    let summary = existsSync(join(dir, 'summary.json')) ? readSummary(dir) : undefined;
    if (!summary?.multiTask) {
      const config = { ...base, seed, baselines: false, name: `${base.name}-${method}-s${seed}`, weighting: weightingOf(method) };
      // A run stopped part-way has a checkpoint: continue it rather than fail on the existing folder.
      summary = await runExperiment(config, { runDir: dir, resume: existsSync(join(dir, 'checkpoint')), ...(epochs ? { epochs } : {}), ...quiet, baselines: false });
    }
    // Δm against this seed's single-task baselines.
    const { deltaM } = await import('../src/evaluation/deltaM.js');
    const b = baselines.get(seed)!.singleTask!;
    const comparisons = tasks.flatMap((t) =>
      Object.entries(summary!.multiTask!.evaluation[t]!.metrics).map(([m, v]) => ({
        task: t, metric: m, direction: (['mse', 'rmse', 'mae'].includes(m) ? 'lower' : 'higher') as 'lower' | 'higher', multiTask: v, singleTask: b[t]!.evaluation.metrics[m]!,
      })),
    );
    deltas.push(deltaM(comparisons));
    for (const t of tasks) metric[t]!.push(Object.values(summary.multiTask!.evaluation[t]!.metrics)[0]!);
    console.error(`${method} seed ${seed}: Δm ${deltas[deltas.length - 1]!.toFixed(2)}%`);
  }
  rows.push(`| ${method} | ${tasks.map((t) => fmt(metric[t]!, 100)).join(' | ')} | ${fmt(deltas)} |`);
}
const single = tasks.map((t) => fmt(seeds.map((s) => Object.values(baselines.get(s)!.singleTask![t]!.evaluation.metrics)[0]!), 100));
console.log(`\n${base.name}${trainSize ? ` (first ${trainSize} training examples)` : ''}, ${seeds.length} seed(s) (${seeds.join(', ')}), ${epochs ?? base.training.epochs} epochs; main metric ×100, Δm in % (lower is better)\n`);
console.log(`| method | ${tasks.join(' | ')} | Δm |`);
console.log(`| --- | ${tasks.map(() => '---').join(' | ')} | --- |`);
console.log(`| single-task | ${single.join(' | ')} | 0 |`);
for (const r of rows) console.log(r);
