/**
 * Side-by-side benchmark of the native CPU path against PyTorch on this machine:
 * runs bench/native/steps.ts and bench/native/reference.py alternately at each thread
 * count (each run in a fresh process), keeps each configuration's best of `--rounds`,
 * and prints the machine (CPU model, vector extensions, load) and a table of steps/s
 * (GFLOP/s for the matmul) with two ratios: ours at our best thread setting against
 * PyTorch at its best, and ours at one thread against PyTorch at one thread (a sweep
 * or grouping search runs one trial per core, each on one thread). The one-thread
 * ratio of steps per CPU-second is printed too: it holds up when other processes
 * share the machine, where wall-clock figures do not. Rows: the MLP hard-sharing step,
 * the per-task gradients + PCGrad step, the MultiMNIST LeNet, MMoE on a tabular batch
 * of 1,024, MTAN on the LeNet (bench/native/workloads.ts), a 512³ matmul, and each
 * process's peak RSS (lower is better; it includes each runtime's baseline).
 *
 *   MTL_BENCH_PYTHON=~/torch/bin/python npm run bench -- native
 *   node --import tsx bench/native/compare.ts [--rounds 3] [--seconds 2] [--threads 1,2] [--json out.json]
 *
 * PyTorch: MTL_BENCH_PYTHON names the interpreter (a venv with `pip install torch`: the
 * PyTorch 2 CPU wheel, MKL + oneDNN); without it the first of /usr/bin/python3, python3
 * that imports torch (e.g. Debian's python3-torch 1.13). MTL_BENCH_PYTHON_BASELINE may
 * name a second one (e.g. /usr/bin/python3 with Debian's 1.13) for one more ratio column.
 * A shared machine (other processes keeping more than a quarter of a CPU busy on average
 * during the runs; the load average where /proc is missing) gets a warning: only quiet
 * runs count.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { OtherCpuMeter, cpuDescription, sharedMachineWarning } from './machine.js';

const here = dirname(fileURLToPath(import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

const rounds = Number(option('rounds', '3'));
const seconds = option('seconds', '2');
const threadCounts = option('threads', `1,${cpus().length}`).split(',').map(Number).filter((t, i, all) => all.indexOf(t) === i);
const jsonOut = process.argv.includes('--json') ? option('json', 'bench-native.json') : undefined;

type Result = Record<string, number | string | boolean>;

function importsTorch(python: string): boolean {
  return spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function findPython(): string | null {
  const candidates = [process.env['MTL_BENCH_PYTHON'], '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  return candidates.find(importsTorch) ?? null;
}

function runJson(command: string, args: string[], env: Record<string, string> = {}): Result {
  const child = spawnSync(command, args, { encoding: 'utf8', cwd: join(here, '..', '..'), env: { ...process.env, ...env } });
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Result;
}

const ours = (threads: number, env: Record<string, string> = {}) =>
  runJson(process.execPath, ['--import', 'tsx', join(here, 'steps.ts'), '--threads', String(threads), '--seconds', seconds], env);

/** Whether the built addon has OpenBLAS: then our steps also run with OpenBLAS's GEMM, for the own-GEMM / OpenBLAS column. */
function addonHasBlas(): boolean {
  const probe = spawnSync(process.execPath, ['--import', 'tsx', '-e',
    "import('./src/backend/native/addon.ts').then((m) => { const l = m.loadAddon(); console.log(l.ok && l.addon.info().blas === true && typeof l.addon.setGemm === 'function'); })"],
  { encoding: 'utf8', cwd: join(here, '..', '..') });
  return probe.stdout.trim().endsWith('true');
}
const torch = (python: string, threads: number) =>
  runJson(python, [join(here, 'reference.py'), '--threads', String(threads), '--seconds', seconds]);

/** Keys where lower is better (the others are rates: higher is better). */
const LOWER_IS_BETTER = new Set(['peakRssMiB']);

/** Keep each configuration's best rate over the rounds; peak RSS keeps the largest (what the process needs). */
function keepBest(best: Map<string, Result>, key: string, result: Result): void {
  const current = best.get(key) ?? {};
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === 'number') current[k] = Math.max((current[k] as number | undefined) ?? -Infinity, v);
    else current[k] = v;
  }
  best.set(key, current);
}

const python = findPython();
const baseline = process.env['MTL_BENCH_PYTHON_BASELINE'];
const pythons: Array<[string, string]> = python ? [['torch', python]] : [];
if (baseline && importsTorch(baseline) && baseline !== python) pythons.push(['baseline', baseline]);
if (!python) console.warn('PyTorch not found (set MTL_BENCH_PYTHON to a Python with torch, e.g. a venv with `pip install torch`); showing ours only.');
console.log(`machine: ${cpuDescription()}`);
// Other processes' CPU time is measured over the runs (the load average would count
// this benchmark's own processes, and before the first run it still counts the work
// that just ended): the warning, if any, comes after the table.
const meter = new OtherCpuMeter();
const withBlas = addonHasBlas() && !process.argv.includes('--no-blas-column');
const best = new Map<string, Result>();
const loads: number[] = [];
for (let round = 0; round < rounds; round++) {
  for (const threads of threadCounts) {
    loads.push(loadavg()[0]!);
    keepBest(best, `ours-${threads}`, ours(threads, { MTL_NATIVE_GEMM: 'own' }));
    if (withBlas) keepBest(best, `oursblas-${threads}`, ours(threads, { MTL_NATIVE_GEMM: 'openblas' }));
    for (const [name, py] of pythons) keepBest(best, `${name}-${threads}`, torch(py, threads));
  }
}
loads.push(loadavg()[0]!);

const rows: Array<[string, string]> = [
  ['MLP 64→256→256, 3 heads, batch 256 (steps/s)', 'mlp'],
  ['per-task grads + PCGrad, same MLP (steps/s)', 'pcgrad'],
  ['MultiMNIST LeNet, 2 heads, batch 256 (steps/s)', 'lenet'],
  ['MMoE, 8 experts, tabular, batch 1,024 (steps/s)', 'mmoe'],
  ['MTAN on the LeNet, batch 256 (steps/s)', 'mtan'],
  ['512³ matmul, tf.matMul / torch.mm (GFLOP/s)', 'matmulGflops'],
  ['peak RSS (MiB, lower is better)', 'peakRssMiB'],
];
const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
const fmtRatio = (r: number | undefined) => (r === undefined ? '—' : `${r.toFixed(2)}×`);
const value = (config: string, key: string) => {
  const v = best.get(config)?.[key];
  return typeof v === 'number' ? v : undefined;
};
/** The best over the thread counts: [value, threads]. */
function bestOf(side: string, key: string): [number | undefined, number | undefined] {
  let found: [number | undefined, number | undefined] = [undefined, undefined];
  for (const t of threadCounts) {
    const v = value(`${side}-${t}`, key);
    if (v === undefined || v <= 0) continue;
    const better = found[0] === undefined || (LOWER_IS_BETTER.has(key) ? v < found[0] : v > found[0]);
    if (better) found = [v, t];
  }
  return found;
}

const header = ['workload', 'ours best (T)', 'torch best (T)', 'best / best', 'ours 1T', 'torch 1T', '1T / 1T', '1T per CPU-s / per CPU-s'];
const baselineColumn = pythons.some(([n]) => n === 'baseline');
if (baselineColumn) header.push('ours best / baseline best');
if (withBlas) header.push('own GEMM / OpenBLAS GEMM, best', 'same, 1T');
const table: string[][] = [header];
const jsonRows: Array<Record<string, unknown>> = [];
for (const [label, key] of rows) {
  const [oursBest, oursT] = bestOf('ours', key);
  const [torchBest, torchT] = bestOf('torch', key);
  const flip = (r: number | undefined) => (r !== undefined && LOWER_IS_BETTER.has(key) ? 1 / r : r);
  const bestRatio = flip(ratio(oursBest, torchBest));
  const ours1 = value('ours-1', key), torch1 = value('torch-1', key);
  const oneRatio = flip(ratio(ours1, torch1));
  const cpuRatio = ratio(value('ours-1', `${key}PerCpuSecond`), value('torch-1', `${key}PerCpuSecond`));
  const cells = [label, `${fmt(oursBest)} (${oursT ?? '—'})`, `${fmt(torchBest)} (${torchT ?? '—'})`, fmtRatio(bestRatio),
    fmt(ours1), fmt(torch1), fmtRatio(oneRatio), fmtRatio(cpuRatio)];
  let baselineRatio: number | undefined;
  if (baselineColumn) {
    baselineRatio = flip(ratio(oursBest, bestOf('baseline', key)[0]));
    cells.push(fmtRatio(baselineRatio));
  }
  let blasRatio: number | undefined, blasRatio1: number | undefined;
  if (withBlas) {
    blasRatio = flip(ratio(oursBest, bestOf('oursblas', key)[0]));
    blasRatio1 = flip(ratio(ours1, value('oursblas-1', key)));
    cells.push(fmtRatio(blasRatio), fmtRatio(blasRatio1));
  }
  table.push(cells);
  jsonRows.push({ label, key, lowerIsBetter: LOWER_IS_BETTER.has(key), oursBest, oursThreads: oursT, torchBest, torchThreads: torchT,
    bestRatio, ours1, torch1, oneThreadRatio: oneRatio, oneThreadCpuRatio: cpuRatio, baselineRatio, ownGemmOverBlas: blasRatio,
    ownGemmOverBlas1: blasRatio1 });
}
const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(line(table[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table.slice(1)) console.log(line(r));
const versions = pythons.map(([n]) => `${n}: PyTorch ${String(best.get(`${n}-1`)?.['torch'] ?? '?')}`).join(', ');
console.log(`\nRatios > 1: ours faster (for peak RSS: ours smaller). (T) = the thread count of the best run. ours: native path, ${String(best.get('ours-1')?.['kernels'] ?? '?')}; ${versions || 'no PyTorch'}.`);
console.log(`machine: ${cpuDescription()}; 1-minute load average before each run and at the end: ${loads.map((l) => l.toFixed(1)).join(', ')}; best of ${rounds} rounds, ${seconds} s each.`);
const other = meter.otherCpus();
if (other !== null) console.log(`other processes: ${other.toFixed(2)} CPUs busy on average during the runs (the machine's busy time less this benchmark's own processes)`);
const sharedWarning = sharedMachineWarning(meter);
if (sharedWarning) {
  console.warn(sharedWarning);
  console.warn('(the wall-clock ratios are noisy; the per-CPU-second ratio at one thread holds up better)');
}
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({ machine: cpuDescription(), rounds, seconds: Number(seconds), loads, otherCpus: other, configs: Object.fromEntries(best), rows: jsonRows }, null, 2));
}
