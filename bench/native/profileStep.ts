/**
 * Where a training step's time goes on the native path: tf.profile of one trainStep
 * (after warm-up steps), kernel times summed by kernel name, largest first, and
 * whether each kernel runs natively (registered by the native path) or on tfjs's own
 * cpu code. Times are rough on a shared machine: run it twice. Models: the resnet encoder with hard sharing, and MTAN on the LeNet
 * encoder (two 10-class heads, 28×28×1 inputs).
 *
 *   node --import tsx bench/native/profileStep.ts [--model resnet|mtan] [--batch N] [--top K]
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';

import { mtan } from '../../src/architectures/mtan.js';
import { nativeKernelCounts, tryInstallNative } from '../../src/backend/native.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { buildWorkload, type Workload } from '../workload.js';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'resnet,mtan' }, batch: { type: 'string', default: '128' }, top: { type: 'string', default: '25' } },
});
const batch = Number(values.batch);
const top = Number(values.top);

const native = await tryInstallNative();
if (!native.ok) throw new Error(`profileStep: the native path is needed: ${native.reason}`);

const builders: Record<string, () => Workload> = {
  resnet: () => buildWorkload(`resnet, batch ${batch}`, [28, 28, 1], [10, 10], { type: 'resnet' }, { hidden: [], dropout: 0 }, undefined, batch),
  mtan: () => buildWorkload(`MTAN on LeNet, batch ${batch}`, [28, 28, 1], [10, 10], { type: 'lenet' }, { hidden: [50], dropout: 0.5 }, mtan, batch),
};

for (const name of values.model!.split(',')) {
  const build = builders[name];
  if (!build) throw new Error(`profileStep: --model must be resnet or mtan, found "${name}"`);
  const w = build();
  let step = 0;
  const run = () => w.step(equalWeighting as WeightingMethod<unknown, unknown>, {}, null, 'parameters', step++);
  for (let i = 0; i < 3; i++) run();
  const start = performance.now();
  const info = await tf.profile(() => void run());
  const wall = performance.now() - start;
  const nativeNames = new Set(Object.keys(nativeKernelCounts()));
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    // Ops that tf.profile records around their kernels (fusedConv2d__op, customGrad
    // wrappers) would count their kernels twice.
    if (!tf.getKernel(k.name, 'cpu')) continue;
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += k.kernelTimeMs as number;
    entry.calls++;
    byName.set(k.name, entry);
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`\n${w.name}: step ${wall.toFixed(0)} ms under tf.profile, of which kernels ${total.toFixed(0)} ms ` +
    `(the rest: JavaScript around them, e.g. tf.ones in tfjs's Sum gradient, and profiling)`);
  const rows = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
  for (const [kernel, e] of rows) {
    const where = nativeNames.has(kernel) ? 'native' : 'tfjs';
    console.log(`${kernel.padEnd(24)} ${where.padEnd(7)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${String(e.calls).padStart(5)} calls`);
  }
  w.dispose();
}
