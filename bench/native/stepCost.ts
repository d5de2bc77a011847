/**
 * CPU cost of one library training step on the native path, in forms that hold up on
 * a shared machine: CPU microseconds per step (process.cpuUsage over the measured
 * steps, one thread), and — with `--callgrind` — instructions per step counted by
 * valgrind's callgrind, which do not depend on the machine's load at all.
 *
 *   node --import tsx bench/native/stepCost.ts [--workloads mlp,pcgrad,mmoe] [--steps 400] [--warmup 300]
 *   node --import tsx bench/native/stepCost.ts --callgrind [--workloads mlp,pcgrad,mmoe] [--steps 50] [--warmup 300]
 *
 * The first form prints, per workload, the median CPU µs per step over blocks of steps
 * after a warm-up (V8 optimises the step for its first ~100 calls). The second runs
 * this script under `valgrind --tool=callgrind` twice per workload, once with `warmup`
 * steps and once with `warmup + steps`, in V8's single-threaded mode (no concurrent
 * compiler or GC threads, so the two runs take the same path), and prints the
 * difference divided by `steps`: the instructions one warmed-up step costs, kernels
 * and JavaScript together. Valgrind emulates a CPU without AVX-512, so the addon runs
 * its AVX2 kernels there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { tryInstallNative } from '../../src/backend/native.js';
import { cpuDescription } from './machine.js';
import { LIBRARY_WORKLOADS, stepper } from './workloads.js';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'mlp,pcgrad,mmoe' },
    steps: { type: 'string' },
    warmup: { type: 'string', default: '300' },
    callgrind: { type: 'boolean', default: false },
    // Internal: run exactly this many steps of one workload and exit (under valgrind).
    run: { type: 'string' },
    count: { type: 'string' },
  },
});

const warmup = Number(values.warmup);

if (values.run) {
  const native = await tryInstallNative({ threads: 1 });
  if (!native.ok) throw new Error(`stepCost: the native path is needed: ${native.reason}`);
  const s = stepper(LIBRARY_WORKLOADS[values.run]!);
  for (let i = 0; i < warmup; i++) s.step();
  // Under callgrind, --zero-before=uv_uptime and --dump-before=uv_os_gethostname make
  // these two calls (nothing else here calls them) the bounds of what is counted.
  uptime();
  const n = Number(values.count);
  for (let i = 0; i < n; i++) s.step();
  hostname();
  s.dispose();
} else if (values.callgrind) {
  const steps = Number(values.steps ?? 50);
  const dir = mkdtempSync(join(tmpdir(), 'mtl-callgrind-'));
  const instructions = (key: string, count: number): number => {
    const out = join(dir, `${key}-${count}.out`);
    const child = spawnSync('valgrind', [
      '--tool=callgrind', `--callgrind-out-file=${out}`, '--dump-instr=no', '--compress-strings=no',
      process.execPath, '--single-threaded', '--import', 'tsx', new URL(import.meta.url).pathname,
      '--run', key, '--count', String(count),
    ], { encoding: 'utf8', env: { ...process.env, MTL_NATIVE_THREADS: '1' } });
    if (child.status !== 0) throw new Error(`valgrind failed for ${key} (${count} steps):\n${child.stderr.slice(-2000)}`);
    const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
    if (!summary) throw new Error(`no callgrind summary in ${out}`);
    return Number(summary[1]);
  };
  console.log(`machine: ${cpuDescription()} (callgrind: instruction counts, independent of load)`);
  console.log('| workload | instructions per step (millions) |');
  console.log('| --- | --- |');
  for (const key of values.workloads!.split(',')) {
    const base = instructions(key, warmup);
    const more = instructions(key, warmup + steps);
    console.log(`| ${LIBRARY_WORKLOADS[key]!.label} | ${((more - base) / steps / 1e6).toFixed(2)} |`);
  }
  rmSync(dir, { recursive: true, force: true });
} else {
  const steps = Number(values.steps ?? 400);
  const native = await tryInstallNative({ threads: 1 });
  if (!native.ok) throw new Error(`stepCost: the native path is needed: ${native.reason}`);
  console.log(`machine: ${cpuDescription()}; native path ${native.kernels}, 1 thread`);
  console.log('| workload | CPU µs per step (median of blocks of 50) |');
  console.log('| --- | --- |');
  for (const key of values.workloads!.split(',')) {
    const s = stepper(LIBRARY_WORKLOADS[key]!);
    for (let i = 0; i < warmup; i++) s.step();
    const blocks: number[] = [];
    for (let done = 0; done < steps; done += 50) {
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < 50; i++) s.step();
      const used = process.cpuUsage(cpu0);
      blocks.push((used.user + used.system) / 50);
    }
    s.dispose();
    blocks.sort((a, b) => a - b);
    console.log(`| ${LIBRARY_WORKLOADS[key]!.label} | ${blocks[Math.floor(blocks.length / 2)]!.toFixed(0)} |`);
  }
}
