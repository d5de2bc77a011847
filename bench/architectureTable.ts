/**
 * The sharing-architecture results table: every architecture × balancing method × seed
 * on one or more image-pair benchmarks (MultiFashion, Multi-(Fashion+MNIST), …), as one
 * sweep per benchmark (src/sweep/), each multi-task run compared with the single-task
 * networks of the same seed. Per row: each task's main metric (×100) and Δm as mean ±
 * std over seeds, the multi-task model's parameter count and its training time per
 * step; all read from the sweep folder's sweep.json.
 *
 *   node --import tsx bench/architectureTable.ts \
 *     --experiment examples/multifashion.yaml,examples/multi-fashion-mnist.yaml \
 *     [--architectures hard-sharing,soft-sharing,cross-stitch,mtan,mmoe,ple,adashare] \
 *     [--methods equal,pcgrad] [--gradient-mode parameters|representation] \
 *     [--seeds 0,1,2] [--epochs N] [--train-size N] [--out runs/arch-table] \
 *     [--jobs N] [--threads N] [--queue redis://HOST:PORT] [--table-only]
 *
 * - Every architecture uses the experiment's encoder, heads and training settings
 *   (`model.options` are dropped: the architectures' defaults apply).
 * - The single-task baselines are the experiment's encoder with one task's head
 *   (`hard-sharing` with one task), whatever the multi-task architecture; Δm in %,
 *   lower is better.
 * - Gradient methods run in their default gradient mode (`parameters` for PCGrad)
 *   unless --gradient-mode says otherwise.
 * - A combination the library refuses (AdaShare with the LeNet encoder, a gradient
 *   method on soft sharing, which has no shared parameters, …) is a failed trial of the
 *   sweep: a row of "n/a" with the library's reason under the table.
 * - Step time: the training milliseconds per step of the multi-task runs (evaluation
 *   excluded; for AdaShare the re-training steps of the chosen networks), averaged over
 *   seeds. Run time: the multi-task runs' wall seconds, everything included (AdaShare's
 *   policy search, the per-epoch evaluation; a resumed run counts from its
 *   resumption). Both depend on the machine and on what else runs on it, and trials
 *   that train side by side (--jobs) share its cores.
 *
 * Sweeps live in `<out>/<experiment name>/`; finished trials are reused and a stopped
 * trial resumes from its checkpoint (AdaShare's policy search included), so the command
 * can be stopped and started again. A trial folder that holds a run of another
 * configuration is refused: pick another --out.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { readExperiment } from '../src/experiment/config.js';
import { runSweep } from '../src/sweep/runSweep.js';
import type { SweepRow } from '../src/sweep/sweepTable.js';
import { localPool } from '../src/trials/localPool.js';
import { queueRunner } from '../src/trials/queueRunner.js';
import type { TrialRunner } from '../src/trials/runner.js';

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
    jobs: { type: 'string' },
    threads: { type: 'string' },
    queue: { type: 'string' },
    'table-only': { type: 'boolean' },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
const count = (name: 'epochs' | 'train-size' | 'jobs' | 'threads'): number | undefined => {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`architectureTable: --${name} must be a positive integer, found "${raw}"`);
  return n;
};
const experiments = list(values.experiment!);
const architectures = list(values.architectures!);
const methods = list(values.methods!);
const seeds = list(values.seeds!).map(Number);
const epochs = count('epochs');
const trainSize = count('train-size');
const gradientMode = values['gradient-mode'];
if (gradientMode !== undefined && gradientMode !== 'parameters' && gradientMode !== 'representation') {
  throw new Error(`architectureTable: --gradient-mode must be "parameters" or "representation", found "${gradientMode}"`);
}
const jobs = count('jobs');
const threads = count('threads');
let runner: TrialRunner | undefined;
if (!values['table-only']) {
  if (values.queue) runner = queueRunner({ url: values.queue, where: '--queue' });
  else runner = localPool({ backend: (await selectBackend(undefined, { log: (l) => console.error(l) })).name, ...(jobs ? { jobs } : {}), ...(threads ? { threads } : {}) });
}

const fmt = (m: { mean: number; std: number; values: number[] } | undefined, scale = 1) =>
  !m ? 'n/a' : m.values.length > 1 ? `${(scale * m.mean).toFixed(2)} ± ${(scale * m.std).toFixed(2)}` : (scale * m.mean).toFixed(2);
/** One count, or "min–max" when the seeds' models differ in size (AdaShare's depends on its learned policy). */
const parameterRange = (counts: number[]) => {
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  return low === high ? `${low}` : `${low}–${high}`;
};

for (const path of experiments) {
  const base = readExperiment(path);
  if (trainSize !== undefined && base.data.source === 'csv') throw new Error('architectureTable: --train-size needs a data source with trainSize (image pairs or synthetic), not csv');
  const tasks = base.tasks.map((t) => t.name);
  const set: Record<string, unknown[]> = {
    'model.architecture': architectures,
    'weighting.method': methods,
    // The architectures' defaults apply.
    ...(base.model.options ? { 'model.options': [null] } : {}),
    ...(gradientMode ? { 'weighting.gradientMode': [gradientMode] } : {}),
    ...(epochs !== undefined ? { 'training.epochs': [epochs] } : {}),
    ...(trainSize !== undefined ? { 'data.trainSize': [trainSize] } : {}),
  };
  const sweep = await runSweep(base, {
    set,
    seeds,
    sweepDir: join(values.out!, base.name),
    tableOnly: Boolean(values['table-only']),
    ...(runner ? { runner } : {}),
    onProgress: (event) => {
      if (event.type === 'result') {
        const r = event.result;
        console.error(`${base.name} [${event.finished}/${event.total}] ${r.id}: ${r.status === 'done' ? `done in ${r.seconds.toFixed(0)} s` : `failed [${r.error?.code}]`}`);
      }
    },
  });
  const mainMetric = (task: string) => sweep.table.columns.find((c) => c.task === task)!.metric;
  const rowOf = (architecture: string, method: string): SweepRow =>
    sweep.table.rows.find((r) => r.overrides['model.architecture'] === architecture && r.overrides['weighting.method'] === method)!;
  const notes: string[] = [];
  const rows = architectures.flatMap((architecture) =>
    methods.map((method) => {
      const row = rowOf(architecture, method);
      if (row.seeds.length === 0) {
        const e = row.failed[0]!.error;
        const reason = `[${e.code}] ${e.message || `${e.path}: expected ${e.expected}, found ${e.found}`}`;
        if (!notes.includes(reason)) notes.push(reason);
        const mark = `n/a (${notes.indexOf(reason) + 1})`;
        return `| ${architecture} | ${method} | ${tasks.map(() => mark).join(' | ')} | ${mark} | — | — | — |`;
      }
      return `| ${architecture} | ${method} | ${tasks.map((t) => fmt(row.metrics[t]?.[mainMetric(t)], 100)).join(' | ')} | ${fmt(row.deltaM)} | ${parameterRange(row.parameters)} | ${row.msPerStep ? row.msPerStep.mean.toFixed(1) : '—'} | ${row.seconds ? row.seconds.mean.toFixed(0) : '—'} |`;
    }),
  );
  const single = sweep.table.singleTask[0]!;
  const lines = [
    `\n${base.name}${trainSize !== undefined ? ` (first ${trainSize} training examples)` : ''}, ${seeds.length} seed(s) (${seeds.join(', ')}), ${epochs ?? base.training.epochs} epoch(s), ` +
      `encoder ${base.model.encoder.type}${gradientMode ? `, gradient mode ${gradientMode}` : ", each method's default gradient mode"}; ` +
      `${mainMetric(tasks[0]!)} ×100, Δm in % against single-task baselines of the same seed (lower is better); step time: training ms per step; run time: wall seconds of the whole multi-task run; from ${join(sweep.sweepDir, 'sweep.json')}\n`,
    `| architecture | method | ${tasks.join(' | ')} | Δm | parameters | ms/step | run s |`,
    `| --- | --- | ${tasks.map(() => '---').join(' | ')} | --- | --- | --- | --- |`,
    `| single-task (${tasks.length} networks) | — | ${tasks.map((t) => fmt(single.metrics[t]?.[mainMetric(t)], 100)).join(' | ')} | 0 | ${single.parameters.length > 0 ? parameterRange(single.parameters) : '—'} | — | — |`,
    ...rows,
  ];
  if (notes.length > 0) lines.push('', ...notes.map((n, i) => `(${i + 1}) ${n}`));
  console.log(lines.join('\n'));
}
