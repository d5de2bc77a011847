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
 * stopped and started again. Prints a Markdown table, written by the report's table
 * writer from the run folders (`mtl report <out> --markdown -` prints it again later). The default folder is
 * runs/table-<experiment name>, with -e<N> / -n<N> appended when --epochs /
 * --train-size shrink the budget, so runs of different budgets never mix.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { readExperiment } from '../src/experiment/config.js';
import { readSummary, runBaselines, runExperiment, type RunSummary } from '../src/experiment/runExperiment.js';
import { tableFromRuns } from '../src/report/resultsTable.js';
import { readRun, type RunData } from '../src/report/runFolder.js';

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

// Make sure every run exists (finished runs are reused, stopped ones resumed), then write the
// table from the run folders with the report's table writer, so it can be regenerated from
// them at any time: mtl report <out> --markdown - prints the same table.
for (const method of methods) {
  for (const seed of seeds) {
    const dir = join(out, `${method}-s${seed}`);
    if (readSummary(dir)?.multiTask) continue;
    const config = { ...base, seed, baselines: false, name: `${base.name}-${method}-s${seed}`, weighting: weightingOf(method) };
    // A run stopped part-way has a checkpoint: continue it rather than fail on the existing folder.
    await runExperiment(config, { runDir: dir, resume: existsSync(join(dir, 'checkpoint')), ...(epochs ? { epochs } : {}), ...quiet, baselines: false });
    console.error(`${method} seed ${seed} done`);
  }
}
const runs = [...seeds.map((s) => readRun(join(out, `baselines-s${s}`))), ...methods.flatMap((m) => seeds.map((s) => readRun(join(out, `${m}-s${s}`))))];
// Rows are labelled by the --methods entry (the run folder's name without its seed).
const label = (run: RunData) => basename(run.dir).replace(/-s\d+$/, '');
console.log(`\n${base.name}${trainSize ? ` (first ${trainSize} training examples)` : ''}, ${seeds.length} seed(s) (${seeds.join(', ')}), ${epochs ?? base.training.epochs} epochs\n`);
console.log(tableFromRuns(runs, { firstColumn: 'method', label }));
