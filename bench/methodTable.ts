/**
 * The task-balancing results table: every method × seeds on one benchmark, as a sweep
 * (src/sweep/): each multi-task run compared with the single-task networks of the same
 * seed, as mean ± std of each task's main metric (×100) and of Δm (in %, lower is
 * better). The table is read from the sweep folder's sweep.json.
 *
 *   node --import tsx bench/methodTable.ts --experiment examples/multimnist.yaml \
 *     --methods equal,mgda,pcgrad --seeds 0,1,2 [--epochs N] [--train-size N] [--out DIR] \
 *     [--jobs N] [--threads N] [--queue redis://HOST:PORT] [--table-only] [--markdown FILE]
 *
 * A method may carry options after `+`, each `key=value` with the value read as JSON
 * where it parses, a dotted key for a nested option (`static+weights.right=0.5`,
 * `graddrop+keepGradientNorm=false`); the entry is also the row's label.
 *
 * Trials run in parallel (--jobs, default every core; or --queue for `mtl worker`s);
 * finished ones are reused and interrupted ones resume, so the command can be stopped
 * and started again. --table-only prints the table of the trials finished so far (the
 * the tables in docs/results.md are regenerated that way from their sweep folders) and --markdown
 * also writes it to a file. The default folder is runs/table-<experiment name>, with
 * -e<N> / -n<N> appended when --epochs / --train-size shrink the budget.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { readExperiment, type ExperimentConfig } from '../src/experiment/config.js';
import { runSweep } from '../src/sweep/runSweep.js';
import type { SweepRow } from '../src/sweep/sweepTable.js';
import { localPool } from '../src/trials/localPool.js';
import type { Overrides } from '../src/trials/overrides.js';
import { queueRunner } from '../src/trials/queueRunner.js';
import type { TrialEvent } from '../src/trials/runner.js';
import { canonicalOverrides } from '../src/trials/trialId.js';

const { values } = parseArgs({
  options: {
    experiment: { type: 'string', default: 'examples/multimnist.yaml' },
    methods: { type: 'string', default: 'equal,mgda,pcgrad,cagrad,imtl-g,nash-mtl,upgrad,aligned-mtl' },
    seeds: { type: 'string', default: '0,1,2' },
    epochs: { type: 'string' },
    'train-size': { type: 'string' },
    out: { type: 'string' },
    jobs: { type: 'string' },
    threads: { type: 'string' },
    queue: { type: 'string' },
    'table-only': { type: 'boolean' },
    markdown: { type: 'string' },
  },
});

/**
 * A --methods entry as a configuration: the method, and each option after `+` as a
 * `weighting.options.<key>` override (`static+weights.right=0.5` →
 * `{ 'weighting.method': 'static', 'weighting.options.weights.right': 0.5 }`).
 */
function methodConfiguration(entry: string): Overrides {
  const [method, ...pairs] = entry.split('+');
  const overrides: Record<string, unknown> = { 'weighting.method': method };
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
    overrides[`weighting.options.${pair.slice(0, at)}`] = value;
  }
  return overrides;
}

const count = (name: string): number | undefined => {
  const raw = values[name as 'jobs'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`methodTable: --${name} must be a positive integer, found "${raw}"`);
  return n;
};

const base: ExperimentConfig = readExperiment(values.experiment!);
const entries = values.methods!.split(',').map((m) => m.trim()).filter((m) => m.length > 0);
const seeds = values.seeds!.split(',').map(Number);
const epochs = count('epochs');
const trainSize = count('train-size');
if (trainSize !== undefined && base.data.source === 'csv') throw new Error('methodTable: --train-size needs a data source with trainSize (image pairs or synthetic), not csv');
const out = values.out ?? join('runs', `table-${base.name}${epochs ? `-e${epochs}` : ''}${trainSize ? `-n${trainSize}` : ''}`);
const jobs = count('jobs');
const threads = count('threads');

const set: Record<string, unknown[]> = {
  ...(epochs !== undefined ? { 'training.epochs': [epochs] } : {}),
  ...(trainSize !== undefined ? { 'data.trainSize': [trainSize] } : {}),
};
const configurations = entries.map(methodConfiguration);
let runner;
if (!values['table-only']) {
  if (values.queue) runner = queueRunner({ url: values.queue, where: '--queue' });
  else runner = localPool({ backend: (await selectBackend(undefined, { log: (l) => console.error(l) })).name, ...(jobs ? { jobs } : {}), ...(threads ? { threads } : {}) });
}
const started = Date.now();
const progress = (event: TrialEvent) => {
  if (event.type === 'plan') console.error(`${event.runner}; ${event.reused} of ${event.total} trials finished before`);
  if (event.type === 'result') {
    const r = event.result;
    console.error(`[${event.finished}/${event.total}] ${r.id}: ${r.status === 'done' ? `done in ${r.seconds.toFixed(0)} s` : `FAILED [${r.error?.code}] ${r.error?.found}`}`);
  }
};
const sweep = await runSweep(base, { set, seeds, configurations, sweepDir: out, tableOnly: Boolean(values['table-only']), ...(runner ? { runner } : {}), onProgress: progress });
if (!values['table-only']) console.error(`sweep finished in ${((Date.now() - started) / 60000).toFixed(1)} minutes (${sweep.runner})`);

// The rows in the order of --methods, labelled by their entries; each task's main metric (its first) ×100.
const byConfiguration = new Map(sweep.table.rows.map((r) => [canonicalOverrides(withoutFixed(r.overrides)), r]));
function withoutFixed(overrides: Overrides): Overrides {
  return Object.fromEntries(Object.entries(overrides).filter(([k]) => !(k in set)));
}
const tasks = base.tasks.map((t) => t.name);
const mainMetric = (task: string) => sweep.table.columns.find((c) => c.task === task)!.metric;
const figure = (row: SweepRow, task: string) => {
  const m = row.metrics[task]?.[mainMetric(task)];
  if (!m) return 'n/a';
  return m.values.length > 1 ? `${(100 * m.mean).toFixed(2)} ± ${(100 * m.std).toFixed(2)}` : (100 * m.mean).toFixed(2);
};
const delta = (row: SweepRow) => (row.deltaM ? (row.deltaM.values.length > 1 ? `${row.deltaM.mean.toFixed(2)} ± ${row.deltaM.std.toFixed(2)}` : row.deltaM.mean.toFixed(2)) : 'n/a');
const single = sweep.table.singleTask[0]!;
const lines = [
  `${base.name}${trainSize ? ` (first ${trainSize} training examples)` : ''}, ${seeds.length} seed(s) (${seeds.join(', ')}), ${epochs ?? base.training.epochs} epochs; main metric ×100, Δm in % (lower is better); from ${join(out, 'sweep.json')}`,
  '',
  `| method | ${tasks.join(' | ')} | Δm |`,
  `| --- | ${tasks.map(() => '---').join(' | ')} | --- |`,
  `| single-task | ${tasks.map((t) => figure(single, t)).join(' | ')} | 0 |`,
  ...entries.map((entry, i) => {
    const row = byConfiguration.get(canonicalOverrides(configurations[i]!))!;
    const failed = row.failed.length > 0 ? ` (${row.seeds.length} of ${row.seeds.length + row.failed.length} seeds: ${[...new Set(row.failed.map((f) => f.error.code))].join(', ')})` : '';
    return `| ${entry}${failed} | ${tasks.map((t) => figure(row, t)).join(' | ')} | ${delta(row)} |`;
  }),
];
console.log('\n' + lines.join('\n'));
if (values.markdown) writeFileSync(values.markdown, lines.slice(2).join('\n') + '\n');
