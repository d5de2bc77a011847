/**
 * Measures the native CPU path: steps/s of the library's training steps
 * (bench/native/workloads.ts: the MLP with equal weighting and with per-task gradients
 * + PCGrad, the MultiMNIST LeNet, MMoE on a tabular batch of 1,024, MTAN on the LeNet),
 * each as users run it (an architecture, `trainStep`, the library's Adam); GFLOP/s of
 * a 512³ matmul through tf.matMul (the BatchMatMul kernel) and through the addon
 * directly; and the process's peak resident set size.
 *
 *   node --import tsx bench/native/steps.ts [--threads N] [--seconds S] [--only mlp,lenet,...] [--stock]
 *
 * Prints one JSON line. `--stock` measures tfjs's own cpu kernels instead (slow).
 */
import * as tf from '@tensorflow/tfjs';

import { loadAddon } from '../../src/backend/native/addon.js';
import { nativeInfo, tryInstallNative } from '../../src/backend/native.js';
import { LIBRARY_WORKLOADS, stepper } from './workloads.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const threads = Number(option('threads') ?? 0) || undefined;
const seconds = Number(option('seconds') ?? 2);
const only = option('only')?.split(',');
const stock = process.argv.includes('--stock');
const wanted = (key: string) => only === undefined || only.includes(key);

/**
 * Runs `fn` repeatedly for about `seconds` after a warm-up of at least 20 calls and a
 * quarter of `seconds` (V8 keeps optimising the step for its first ~100 calls: CPU time per MLP step fell from 6.9 to 4.3 ms over 1,000 steps; reference.py warms up the same
 * way). Returns calls per wall-clock second and calls per CPU-second of this process
 * (all its threads); the latter is robust to other processes sharing the machine when
 * running 1 thread.
 */
function rate(fn: () => void): { wall: number; cpu: number } {
  const warmStart = performance.now();
  for (let i = 0; i < 20 || performance.now() - warmStart < seconds * 250; i++) fn();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    fn();
    n++;
  }
  const wall = (n * 1000) / (performance.now() - start);
  const used = process.cpuUsage(cpu0);
  return { wall, cpu: (n * 1e6) / (used.user + used.system) };
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = { backend: stock ? 'tfjs-cpu' : 'cpu+native' };
  if (stock) {
    await tf.setBackend('cpu');
  } else {
    const installed = await tryInstallNative(threads ? { threads } : {});
    if (!installed.ok) throw new Error(installed.reason);
    const info = nativeInfo()!;
    result['threads'] = info.threads;
    result['kernels'] = info.kernels;
  }
  for (const key of ['mlp', 'pcgrad', 'lenet', 'mmoe', 'mtan']) {
    if (!wanted(key)) continue;
    const s = stepper(LIBRARY_WORKLOADS[key]!);
    const r = rate(s.step);
    s.dispose();
    result[key] = r.wall;
    result[`${key}PerCpuSecond`] = r.cpu;
  }
  if (wanted('matmul')) {
    const flops = 2 * 512 ** 3;
    const a = tf.randomUniform([512, 512]), b = tf.randomUniform([512, 512]);
    result['matmulGflops'] = (rate(() => tf.matMul(a, b).dispose()).wall * flops) / 1e9;
    tf.dispose([a, b]);
    const load = loadAddon();
    if (!stock && load.ok) {
      const x = new Float32Array(512 * 512).fill(0.5), y = new Float32Array(512 * 512).fill(0.25);
      const out = new Float32Array(512 * 512);
      result['sgemmGflops'] = (rate(() => load.addon.matMul(x, y, out, 1, 1, 512, 512, 512, false, false, null, 0, 0, 0)).wall * flops) / 1e9;
    }
  }
  // Peak resident set size of this whole process (maxRSS is in KiB) after all the
  // workloads above, run one after another in this process: the baseline of Node +
  // tfjs + the native addon plus what the workloads added on top (tensors, the addon's
  // buffer pool, the JS heap). reference.py reports the same for Python + torch.
  result['peakRssMiB'] = process.resourceUsage().maxRSS / 1024;
  result['tensorsLeft'] = tf.memory().numTensors;
  console.log(JSON.stringify(result));
}

await main();
