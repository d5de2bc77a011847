/**
 * Side-by-side benchmark of the native CPU path against PyTorch on this machine:
 * runs bench/native/steps.ts and bench/native/reference.py alternately at 1 and 2
 * threads (each in a fresh process), keeps each configuration's best of `--rounds`,
 * and prints a table of steps/s (GFLOP/s for the matmul) with ratios against
 * PyTorch's best thread setting: the MLP hard-sharing step, the per-task gradients +
 * PCGrad step on the same MLP (ours through the library's trainStep), the LeNet step,
 * the 512³ matmul, and each process's peak RSS (lower is better; each side's process
 * runs all the workloads, so its peak includes its runtime's baseline: Node + tfjs +
 * the native addon against Python + torch).
 *
 *   node --import tsx bench/native/compare.ts [--rounds 2] [--seconds 2] [--threads 1,2] [--json out.json]
 *
 * `--json` also writes the per-configuration results (best of the rounds) and the
 * table's rows with their ratios.
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

/** Keys where lower is better (the others are rates: higher is better). */
const LOWER_IS_BETTER = new Set(['peakRssMiB']);

/**
 * Keep each configuration's best rate over the rounds. Peak RSS instead keeps the
 * largest over the rounds: a process's peak is what it needs, not a lucky low.
 */
function keepBest(best: Map<string, Result>, key: string, result: Result): void {
  const current = best.get(key) ?? {};
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === 'number') current[k] = Math.max(current[k] ?? -Infinity, v);
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

// [label, our key, PyTorch's key when it differs (the kernel-only rows compare with the same PyTorch step)]
const rows: Array<[string, string, string?]> = [
  ['MLP 64→256→256→3×3 hard sharing, batch 256, Adam (steps/s)', 'mlp'],
  ['  same, steps per CPU-second', 'mlpPerCpuSecond'],
  ['  same network from fused tfjs ops, tfjs Adam (kernels only)', 'mlpKernels', 'mlp'],
  ['per-task grads + PCGrad, same MLP, Adam (steps/s)', 'pcgrad'],
  ['  same, steps per CPU-second', 'pcgradPerCpuSecond'],
  ['MultiMNIST LeNet 2 heads, batch 256, Adam (steps/s)', 'lenet'],
  ['  same, steps per CPU-second', 'lenetPerCpuSecond'],
  ['  same network from fused tfjs ops, tfjs Adam (kernels only)', 'lenetKernels', 'lenet'],
  ['512³ matmul via tf.matMul / torch.mm (GFLOP/s)', 'matmulGflops'],
  ['512³ sgemm, addon direct (GFLOP/s)', 'sgemmGflops'],
  ['peak RSS of the process (MiB, lower is better)', 'peakRssMiB'],
];
const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const header = ['workload', ...threadCounts.map((t) => `ours ${t}T`), ...(python ? threadCounts.map((t) => `torch ${t}T`) : []), 'ours best / torch best'];
const table: string[][] = [header];
const jsonRows: Array<Record<string, unknown>> = [];
for (const [label, key, torchKey = key] of rows) {
  const oursValues = threadCounts.map((t) => best.get(`ours-${t}`)?.[key]);
  const torchValues = python ? threadCounts.map((t) => best.get(`torch-${t}`)?.[torchKey]) : [];
  const lowerIsBetter = LOWER_IS_BETTER.has(key);
  // "Best" thread setting: the highest rate, or the lowest peak RSS.
  const pick = (values: Array<number | undefined>) => {
    const present = values.filter((v): v is number => v !== undefined && v > 0);
    return present.length === 0 ? undefined : lowerIsBetter ? Math.min(...present) : Math.max(...present);
  };
  const bestOurs = pick(oursValues);
  const bestTorch = pick(torchValues);
  const ratio = bestOurs !== undefined && bestTorch !== undefined ? bestOurs / bestTorch : undefined;
  table.push([label, ...oursValues.map(fmt), ...torchValues.map(fmt), ratio === undefined ? '—' : `${ratio.toFixed(2)}×`]);
  jsonRows.push({
    label: label.trim(), key, lowerIsBetter,
    ours: Object.fromEntries(threadCounts.map((t, i) => [`${t}T`, oursValues[i] ?? null])),
    torch: Object.fromEntries(torchValues.map((v, i) => [`${threadCounts[i]}T`, v ?? null])),
    oursBest: bestOurs ?? null, torchBest: bestTorch ?? null, ratio: ratio ?? null,
  });
}
const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(line(table[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table.slice(1)) console.log(line(r));
const machine = `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`;
console.log(
  `\nRatios: ours best / torch best thread setting (> 1 is faster for the rates; for peak RSS < 1 is less memory). ` +
    `Peak RSS is each benchmark process's own peak after all its workloads, so it includes the runtime baseline ` +
    `(Node + tfjs + the native addon vs Python + torch).`,
);
console.log(`${machine}; 1-min load average during the runs: ${loads.map((l) => l.toFixed(1)).join(', ')}; best of ${rounds} rounds, ${seconds} s each.`);
if (jsonOut) {
  writeFileSync(
    jsonOut,
    JSON.stringify({ machine, rounds, seconds: Number(seconds), loads, configs: Object.fromEntries(best), rows: jsonRows }, null, 2),
  );
}
