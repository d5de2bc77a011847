/**
 * Training-step time (ms/step) on the native path with and without its batch-norm
 * kernels, side by side in one process: the same model alternates between the native
 * path as installed ("after") and the native path with the kernels named in
 * `--kernels` put back to tfjs's own cpu code ("before"), round by round. Models: the
 * resnet encoder with hard sharing, and MTAN on the LeNet encoder (two 10-class heads,
 * 28×28×1 inputs, equal weighting, Adam).
 *
 *   node --import tsx bench/native/batchNorm.ts [--model resnet,mtan] [--batch N] [--rounds R] [--steps K]
 *     [--kernels FusedBatchNorm]
 *
 * Prints each configuration's median and min ms/step per model, in wall-clock time and
 * in CPU time of this process (all its threads). Other processes on the machine move
 * these numbers: compare the two columns of one run.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';

import { mtan } from '../../src/architectures/mtan.js';
import { originalCpuKernel, tryInstallNative } from '../../src/backend/native.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { buildWorkload, type Workload } from '../workload.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet,mtan' },
    batch: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '3' },
    kernels: { type: 'string', default: 'FusedBatchNorm' },
  },
});
const batch = Number(values.batch);
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const kernelNames = values.kernels!.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

const native = await tryInstallNative();
if (!native.ok) throw new Error(`bench/native/batchNorm: the native path is needed: ${native.reason}`);

/** Registers, for each named kernel, either the native path's config or tfjs's original. */
function useKernels(which: 'native' | 'stock', saved: Map<string, tf.KernelConfig>): void {
  for (const name of kernelNames) {
    const config = which === 'native' ? saved.get(name) : originalCpuKernel(name);
    if (!config) throw new Error(`bench/native/batchNorm: no cpu kernel ${name}`);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(config);
  }
}
const nativeConfigs = new Map(kernelNames.map((name) => [name, tf.getKernel(name, 'cpu')!]));

const builders: Record<string, () => Workload> = {
  resnet: () => buildWorkload(`resnet encoder, hard sharing, batch ${batch}`, [28, 28, 1], [10, 10], { type: 'resnet' },
    { hidden: [], dropout: 0 }, undefined, batch),
  mtan: () => buildWorkload(`MTAN, LeNet encoder, batch ${batch}`, [28, 28, 1], [10, 10], { type: 'lenet' },
    { hidden: [50], dropout: 0.5 }, mtan, batch),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`before = native path with ${kernelNames.join(', ')} on tfjs's cpu code; after = native path as installed`);
for (const name of values.model!.split(',')) {
  const build = builders[name];
  if (!build) throw new Error(`bench/native/batchNorm: --model must list resnet and/or mtan, found "${name}"`);
  const w = build();
  let step = 0;
  const run = () => w.step(equalWeighting as WeightingMethod<unknown, unknown>, {}, null, 'parameters', step++);
  const times = { before: [] as number[], after: [] as number[] };
  const cpuTimes = { before: [] as number[], after: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    for (const config of ['before', 'after'] as const) {
      useKernels(config === 'before' ? 'stock' : 'native', nativeConfigs);
      run();  // warm-up after the switch
      for (let i = 0; i < steps; i++) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        run();
        times[config].push(performance.now() - start);
        const used = process.cpuUsage(cpu);
        cpuTimes[config].push((used.user + used.system) / 1000);
      }
    }
  }
  useKernels('native', nativeConfigs);
  w.dispose();
  const show = (xs: number[]) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)})`;
  const less = (t: { before: number[]; after: number[] }) => `${((1 - median(t.after) / median(t.before)) * 100).toFixed(0)}% less`;
  console.log(`${w.name}\n  wall: before ${show(times.before)}, after ${show(times.after)}, ${less(times)}` +
    `\n  cpu:  before ${show(cpuTimes.before)}, after ${show(cpuTimes.after)}, ${less(cpuTimes)}`);
}
