/**
 * Measures the native CPU path: steps/s of the library's training step (trainStep,
 * Adam) on the two-head LeNet and the three-head MLP (batch 256) with equal weighting
 * and, on the MLP, with PCGrad (per-task gradients on the shared parameters); the same
 * two networks hand-written from fused tfjs ops (kernels only); GFLOP/s of a
 * 512³ matmul through tf.matMul (the BatchMatMul kernel) and through the addon
 * directly, and the process's peak resident set size.
 *
 *   node --import tsx bench/native/steps.ts [--threads N] [--seconds S] [--only lenet|mlp|pcgrad|matmul] [--stock]
 *
 * Prints one JSON line. `--stock` measures tfjs's own cpu kernels instead (slow).
 */
import * as tf from '@tensorflow/tfjs';

import { loadAddon } from '../../src/backend/native/addon.js';
import { nativeInfo, tryInstallNative } from '../../src/backend/native.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import { projectingConflictingGradients } from '../../src/weighting/pcgrad.js';
import { buildWorkload } from '../workload.js';
import { createLenet, createMlp, randomBatch, trainStep, type TrainableModel } from './models.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const threads = Number(option('threads') ?? 0) || undefined;
const seconds = Number(option('seconds') ?? 2);
const only = option('only');
const stock = process.argv.includes('--stock');

/**
 * Runs `fn` repeatedly for about `seconds` after `warmup` calls. Returns calls per
 * wall-clock second and calls per CPU-second of this process (all its threads); the
 * latter is robust to other processes sharing the machine when running 1 thread.
 */
function rate(fn: () => void, warmup = 3): { wall: number; cpu: number } {
  for (let i = 0; i < warmup; i++) fn();
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

function trainingRate(model: TrainableModel, optimizer: tf.Optimizer, inputShape: number[], heads: number, classes: number) {
  const { x, labels } = randomBatch(inputShape, heads, classes);
  const result = rate(() => trainStep(model, optimizer, x, labels));
  tf.dispose([x, ...labels, ...model.variables]);
  optimizer.dispose();
  return result;
}

/**
 * Training steps through the library as users run them (`trainStep`, tf.layers models,
 * the library's Adam at lr 5e-4, fused on the native path): equal weighting for the
 * MLP and the LeNet (encoder and head dropout off, so the network is the one of
 * reference.py), and the per-task gradients + PCGrad step: hard
 * sharing with the built-in MLP encoder 64→256→256 (ReLU) and three dense 256→3 heads
 * (the MLP above, built from tf.layers), batch 256, `trainStep` with weighting method
 * `pcgrad` in gradient mode `parameters` (each task's gradient on every shared
 * variable, the Gramian, PCGrad's weights, Σ_t w_t g_t on the shared variables and
 * each head's own gradient), then the library's per-variable Adam (lr 5e-4).
 * bench/native/reference.py's `pcgrad_steps_per_second` is the same step in PyTorch.
 */
function libraryRate(kind: 'mlp' | 'lenet', weighting: WeightingMethod<unknown, unknown>) {
  const workload = kind === 'mlp'
    ? buildWorkload('MLP 64→256→256, 3 tasks, batch 256', [64], [3, 3, 3], { type: 'mlp', hidden: [256, 256] }, { hidden: [], dropout: 0 })
    : buildWorkload('LeNet, 2 tasks, batch 256', [28, 28, 1], [10, 10], { type: 'lenet', dropout: 0 }, { hidden: [], dropout: 0 });
  const method = weighting;
  const context = { taskNames: Array.from({ length: workload.tasks }, (_, t) => `t${t}`), seed: 0 };
  const options = method.resolveOptions(undefined, context);
  let state = method.init(context, options);
  let step = 0;
  const result = rate(() => {
    state = workload.step(method, options, state, 'parameters', step++);
  });
  workload.dispose();
  return result;
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = { backend: stock ? 'tfjs-cpu' : 'cpu+native' };
  if (stock) {
    await tf.setBackend('cpu');
  } else {
    const installed = await tryInstallNative(threads ? { threads } : {});
    if (!installed.ok) throw new Error(installed.reason);
    result['threads'] = nativeInfo()!.threads;
  }
  if (only === undefined || only === 'mlp') {
    const r = libraryRate('mlp', equalWeighting as WeightingMethod<unknown, unknown>);
    result['mlp'] = r.wall;
    result['mlpPerCpuSecond'] = r.cpu;
    // The same network hand-written from fused tfjs ops with tfjs's own Adam: the
    // kernels alone, without the library's layers, losses and optimizer.
    const k = trainingRate(createMlp(), tf.train.adam(1e-3), [256, 64], 3, 3);
    result['mlpKernels'] = k.wall;
  }
  if (only === undefined || only === 'pcgrad') {
    const r = libraryRate('mlp', projectingConflictingGradients as WeightingMethod<unknown, unknown>);
    result['pcgrad'] = r.wall;
    result['pcgradPerCpuSecond'] = r.cpu;
  }
  if (only === undefined || only === 'lenet') {
    const r = libraryRate('lenet', equalWeighting as WeightingMethod<unknown, unknown>);
    result['lenet'] = r.wall;
    result['lenetPerCpuSecond'] = r.cpu;
    const k = trainingRate(createLenet(), tf.train.adam(5e-4), [256, 28, 28, 1], 2, 10);
    result['lenetKernels'] = k.wall;
  }
  if (only === undefined || only === 'matmul') {
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
  // tfjs + the native addon (OpenBLAS) (about 170 MiB before any workload on the
  // development machine) plus what the workloads added on top (tensors, the addon's
  // buffer pool, the JS heap). reference.py reports the same for Python + torch
  // (about 225 MiB after `import torch`).
  result['peakRssMiB'] = process.resourceUsage().maxRSS / 1024;
  result['tensorsLeft'] = tf.memory().numTensors;
  console.log(JSON.stringify(result));
}

await main();
