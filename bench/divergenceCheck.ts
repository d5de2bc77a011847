/**
 * The cost of the divergence check (every training step sums each gradient tensor and
 * downloads one number per tensor, see src/training/divergence.ts) against the step it
 * guards, measured in one process, alternating the two in rounds:
 * - the MultiMNIST LeNet, two heads, batch 256, equal weighting;
 * - an MLP 64→256→256 with three heads, batch 256, equal weighting.
 * The check runs on tensors of the model's trainable-variable shapes (what the gradients
 * are). Prints the median of the per-round ratios check / step, and the machine.
 *
 * Usage: node --import tsx bench/divergenceCheck.ts [--rounds N]
 */
import * as tf from '@tensorflow/tfjs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildWorkload } from './workload.js';
import { median } from './median.js';
import { selectBackend } from '../src/backend/selectBackend.js';
import { nonFiniteTensors } from '../src/training/divergence.js';
import { equalWeighting } from '../src/weighting/equal.js';
import type { WeightingMethod } from '../src/weighting/method.js';
import { hardSharing } from '../src/architectures/hardSharing.js';
import { createTask } from '../src/tasks/createTask.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
const rounds = Number(values.rounds ?? 7);
const backend = await selectBackend(undefined, { log: () => {} });

const cases = [
  { name: 'LeNet, 2 tasks, batch 256', inputShape: [28, 28, 1], classes: [10, 10], encoder: { type: 'lenet' as const }, head: { hidden: [50], dropout: 0.5 } },
  { name: 'MLP 64→256→256, 3 tasks, batch 256', inputShape: [64], classes: [3, 3, 3], encoder: { type: 'mlp' as const, hidden: [256, 256] }, head: { hidden: [], dropout: 0 } },
];

/** Mean milliseconds of `fn` over at least `ms` milliseconds (and 5 calls). */
function time(fn: () => void, ms = 400): number {
  fn();
  let calls = 0;
  const start = performance.now();
  while (calls < 5 || performance.now() - start < ms) {
    fn();
    calls++;
  }
  return (performance.now() - start) / calls;
}

console.log(`backend ${backend.description}; ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log('| workload | step (ms) | check (ms) | check / step |');
console.log('| --- | --- | --- | --- |');
for (const c of cases) {
  const workload = buildWorkload(c.name, c.inputShape, c.classes, c.encoder, c.head);
  const shapes = hardSharing({ tasks: c.classes.map((k, t) => createTask({ name: `t${t}`, kind: 'multiclass', classes: k, head: c.head })), inputShape: c.inputShape, encoder: c.encoder });
  const grads = shapes.model.trainableWeights.map((w) => tf.randomNormal(w.shape as number[]));
  let step = 0;
  const ratios: number[] = [];
  const steps: number[] = [];
  const checks: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const s = time(() => void workload.step(equalWeighting as WeightingMethod<unknown, unknown>, {}, null, 'parameters', step++));
    const k = time(() => void nonFiniteTensors(grads));
    steps.push(s);
    checks.push(k);
    ratios.push(k / s);
  }
  console.log(`| ${c.name} | ${median(steps).toFixed(2)} | ${median(checks).toFixed(3)} | ${(100 * median(ratios)).toFixed(1)}% |`);
  tf.dispose(grads);
  shapes.model.dispose();
  workload.dispose();
}
