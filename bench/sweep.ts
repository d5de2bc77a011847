/**
 * The local pool's speed-up: the same grid of small trials (the patients CSV, 4 methods
 * × 2 seeds and their 6 single-task networks: 14 trials of 6 epochs) swept with
 * `--jobs 1` (one trial at a time, with every core's threads) and with `--jobs N` (N
 * trials side by side, each with its share of the threads), in fresh folders, in the
 * order 1, N, N, 1 so that drift in the machine's load hits both alike. Reports each
 * sweep's wall time and the ratio of the medians, with the machine and its load.
 *
 *   node --import tsx bench/sweep.ts [--jobs N] [--epochs N]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/backend/selectBackend.js';
import { readExperiment } from '../src/experiment/config.js';
import { runSweep } from '../src/sweep/runSweep.js';
import { localPool } from '../src/trials/localPool.js';
import { availableCores, threadsPerJob } from '../src/trials/threadShare.js';

const { values } = parseArgs({ options: { jobs: { type: 'string' }, epochs: { type: 'string', default: '6' } } });
const cores = availableCores();
const jobs = values.jobs ? Number(values.jobs) : cores;
const epochs = Number(values.epochs);

/** The CPU, its vector extensions (from /proc/cpuinfo where there is one) and the load when measured. */
function machine(): string {
  let extensions = '';
  try {
    const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? []);
    extensions = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'asimd'].filter((f) => flags.has(f)).join(' ');
  } catch {
    // Not Linux: the model name is all there is.
  }
  const load = loadavg().map((l) => l.toFixed(1)).join(' / ');
  return `${cpus()[0]?.model ?? 'unknown CPU'} (${extensions || 'extensions unknown'}), ${cores} cores available; load average ${load} (1 / 5 / 15 min)`;
}

const backend = await selectBackend(undefined, { log: () => {} });
const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-sweep-'));
const experiment = join(dir, 'exp.yaml');
writeFileSync(
  experiment,
  `name: bench-sweep
data: { source: csv, path: ${join(process.cwd(), 'examples/data/patients.csv')}, features: [age, bmi, systolic_bp, glucose, cholesterol, smoker, exercise_hours, prior_visits], standardize: true, testFraction: 0.25 }
tasks:
  - { name: readmitted, kind: binary, columns: [readmitted] }
  - { name: risk, kind: multiclass, classes: [low, medium, high], columns: [risk_level] }
  - { name: stay, kind: regression, columns: [length_of_stay] }
model: { encoder: { type: mlp, hidden: [64, 32] } }
training: { epochs: ${epochs}, batchSize: 32, optimizer: { type: adam, learningRate: 0.003 } }
`,
);
const base = readExperiment(experiment);
const set = { 'weighting.method': ['equal', 'pcgrad', 'mgda', 'upgrad'] };
const seeds = [0, 1];

async function sweep(n: number, round: number): Promise<number> {
  const started = Date.now();
  const result = await runSweep(base, { set, seeds, runner: localPool({ jobs: n, backend: backend.name }), sweepDir: join(dir, `jobs-${n}-${round}`) });
  const seconds = (Date.now() - started) / 1000;
  const failed = result.trials.filter((t) => t.status !== 'done').length;
  if (failed > 0) throw new Error(`bench/sweep: ${failed} trials failed`);
  console.log(`  --jobs ${n} (${threadsPerJob(n, cores)} thread${threadsPerJob(n, cores) === 1 ? '' : 's'} each): ${result.trials.length} trials in ${seconds.toFixed(1)} s`);
  return seconds;
}

try {
  console.log(`sweep of ${4 * seeds.length} configurations + ${3 * seeds.length} single-task networks, ${epochs} epochs each; backend ${backend.description}`);
  console.log(`machine: ${machine()}`);
  const one: number[] = [];
  const many: number[] = [];
  one.push(await sweep(1, 1));
  many.push(await sweep(jobs, 1));
  many.push(await sweep(jobs, 2));
  one.push(await sweep(1, 2));
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  console.log(`\n--jobs ${jobs} against --jobs 1: ${(median(one) / median(many)).toFixed(2)}× faster (median wall times ${median(many).toFixed(1)} s and ${median(one).toFixed(1)} s)`);
  console.log(`machine after: ${machine()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
