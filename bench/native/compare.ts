/**
 * Side-by-side benchmark of the native CPU path against PyTorch on this machine:
 * runs bench/native/steps.ts and bench/native/reference.py alternately at 1 and 2
 * threads (each in a fresh process), keeps each configuration's best of `--rounds`,
 * and prints a table of steps/s (GFLOP/s for the matmul) with ratios against
 * PyTorch's best thread setting.
 *
 *   node --import tsx bench/native/compare.ts [--rounds 2] [--seconds 2] [--threads 1,2] [--json out.json]
 *
 * PyTorch comes from Debian's python3-torch; set MTL_BENCH_PYTHON to pick the
 * interpreter (default: the first of /usr/bin/python3, python3 that imports torch).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

const rounds = Number(option('rounds', '2'));
const seconds = option('seconds', '2');
const threadCounts = option('threads', '1,2').split(',').map(Number);
const jsonOut = process.argv.includes('--json') ? option('json', 'bench-native.json') : undefined;

type Result = Record<string, number>;

function findPython(): string | null {
  const candidates = [process.env['MTL_BENCH_PYTHON'], '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

function runJson(command: string, args: string[]): Result {
  const child = spawnSync(command, args, { encoding: 'utf8', cwd: join(here, '..', '..') });
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Result;
}

const ours = (threads: number) =>
  runJson(process.execPath, ['--import', 'tsx', join(here, 'steps.ts'), '--threads', String(threads), '--seconds', seconds]);
const torch = (python: string, threads: number) =>
  runJson(python, [join(here, 'reference.py'), '--threads', String(threads), '--seconds', seconds]);

function keepBest(best: Map<string, Result>, key: string, result: Result): void {
  const current = best.get(key) ?? {};
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === 'number') current[k] = k === 'peakRssMB' ? Math.max(current[k] ?? 0, v) : Math.max(current[k] ?? 0, v);
  }
  best.set(key, current);
}

const python = findPython();
if (!python) console.warn('PyTorch not found (install Debian python3-torch, or set MTL_BENCH_PYTHON); showing ours only.');
const best = new Map<string, Result>();
const loads: number[] = [];
for (let round = 0; round < rounds; round++) {
  for (const threads of threadCounts) {
    loads.push(loadavg()[0]!);
    keepBest(best, `ours-${threads}`, ours(threads));
    if (python) keepBest(best, `torch-${threads}`, torch(python, threads));
  }
}

const rows: Array<[string, string, number]> = [
  ['MLP 64→256→256→3×3, batch 256, Adam (steps/s)', 'mlp', 0],
  ['  same, steps per CPU-second', 'mlpPerCpuSecond', 0],
  ['LeNet 2 heads, batch 256, SGD (steps/s)', 'lenet', 0],
  ['  same, steps per CPU-second', 'lenetPerCpuSecond', 0],
  ['512³ matmul via tf.matMul / torch.mm (GFLOP/s)', 'matmulGflops', 0],
  ['512³ sgemm, addon direct (GFLOP/s)', 'sgemmGflops', 0],
  ['peak RSS (MB)', 'peakRssMB', 0],
];
const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const header = ['workload', ...threadCounts.map((t) => `ours ${t}T`), ...(python ? threadCounts.map((t) => `torch ${t}T`) : []), 'ours best / torch best'];
const table: string[][] = [header];
for (const [label, key] of rows) {
  const oursValues = threadCounts.map((t) => best.get(`ours-${t}`)?.[key]);
  const torchValues = python ? threadCounts.map((t) => best.get(`torch-${t}`)?.[key]) : [];
  const bestOurs = Math.max(...oursValues.map((v) => v ?? 0));
  const bestTorch = Math.max(...torchValues.map((v) => v ?? 0));
  const lowerIsBetter = key === 'peakRssMB';
  const ratio = bestTorch > 0 && bestOurs > 0
    ? (lowerIsBetter ? Math.min(...oursValues.map((v) => v ?? Infinity)) / Math.min(...torchValues.map((v) => v ?? Infinity)) : bestOurs / bestTorch)
    : undefined;
  table.push([label, ...oursValues.map(fmt), ...torchValues.map(fmt), ratio === undefined ? '—' : `${ratio.toFixed(2)}×`]);
}
const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(line(table[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table.slice(1)) console.log(line(r));
console.log(`\n${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}); 1-min load average during the runs: ${loads.map((l) => l.toFixed(1)).join(', ')}; best of ${rounds} rounds, ${seconds} s each.`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(Object.fromEntries(best), null, 2));
