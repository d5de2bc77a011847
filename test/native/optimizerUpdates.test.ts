import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { Adam, type AdamOptions } from '../../src/training/optimizers/adam.js';
import { FUSED_ADAM_KERNEL, FUSED_SGD_KERNEL, hasFusedKernel } from '../../src/training/optimizers/fusedUpdates.js';
import type { Optimizer } from '../../src/training/optimizers/optimizer.js';
import { Sgd, type SgdOptions } from '../../src/training/optimizers/sgd.js';
import { installNative, onStockCpu, randomValues, skipNative } from './helpers.js';

before(async () => {
  if (!skipNative) await installNative();
});

/**
 * Runs `steps` updates of `make()` on variables of the given shapes with fixed
 * pseudo-random gradients (a schedule-like learning rate that changes per step, and
 * the second variable skipping every other step so bias corrections differ), and
 * returns the final values of every variable and slot.
 */
function run(make: () => Optimizer, shapes: number[][], steps: number): Float32Array[] {
  const vars = shapes.map((s, i) =>
    tf.tidy(() => tf.variable(tf.tensor(randomValues(s.reduce((a, b) => a * b, 1), 100 + i), s), true, `opt-test-${i}-${Math.random()}`)),
  );
  const optimizer = make();
  for (let step = 0; step < steps; step++) {
    const grads = new Map<tf.Variable, tf.Tensor>();
    vars.forEach((v, i) => {
      if (i === 1 && step % 2 === 1) return;
      grads.set(v, tf.tensor(randomValues(v.size, 1000 * step + i, -2, 2), v.shape));
    });
    optimizer.applyGradients(grads, 0.01 * (1 + 0.1 * step));
    tf.dispose([...grads.values()]);
  }
  const state = optimizer.getState();
  const out = [...vars.map((v) => v.dataSync().slice() as Float32Array), ...Object.values(state.slots).flatMap((s) => Object.values(s).map((x) => x.values.slice()))];
  optimizer.dispose();
  tf.dispose(vars);
  return out;
}

function assertClose(actual: Float32Array[], expected: Float32Array[], what: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, k) => {
    const e = expected[k]!;
    assert.equal(a.length, e.length);
    for (let i = 0; i < a.length; i++) {
      const tol = 1e-5 * Math.max(1, Math.abs(e[i]!));
      assert.ok(Math.abs(a[i]! - e[i]!) <= tol, `${what}: array ${k}[${i}] = ${a[i]}, composite ${e[i]}`);
    }
  });
}

// Odd sizes, a scalar, an empty tensor and one large enough to run on several threads.
const SHAPES = [[3, 5], [7], [], [0, 4], [300, 257]];

const adamCases: Array<[string, AdamOptions]> = [
  ['Adam', {}],
  ['Adam with L2 weight decay', { weightDecay: 0.01 }],
  ['AdamW', { weightDecay: 0.05, decoupled: true }],
  ['Adam with custom betas', { beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }],
];
const sgdCases: Array<[string, SgdOptions]> = [
  ['SGD', {}],
  ['SGD with weight decay', { weightDecay: 0.1 }],
  ['SGD with momentum', { momentum: 0.9 }],
  ['SGD with Nesterov momentum and decay', { momentum: 0.8, nesterov: true, weightDecay: 0.01 }],
];

for (const [name, options] of adamCases) {
  test(`fused ${name} equals the composite update`, { skip: skipNative }, async () => {
    assert.ok(hasFusedKernel(FUSED_ADAM_KERNEL));
    const start = tf.memory().numTensors;
    const fused = run(() => new Adam(options), SHAPES, 6);
    assert.equal(tf.memory().numTensors, start, 'no leaked tensors');
    const composite = await onStockCpu(() => {
      assert.ok(!hasFusedKernel(FUSED_ADAM_KERNEL));
      return run(() => new Adam(options), SHAPES, 6);
    });
    assertClose(fused, composite, name);
  });
}

for (const [name, options] of sgdCases) {
  test(`fused ${name} equals the composite update`, { skip: skipNative }, async () => {
    assert.ok(hasFusedKernel(FUSED_SGD_KERNEL));
    const start = tf.memory().numTensors;
    const fused = run(() => new Sgd(options), SHAPES, 5);
    assert.equal(tf.memory().numTensors, start, 'no leaked tensors');
    const composite = await onStockCpu(() => run(() => new Sgd(options), SHAPES, 5));
    assertClose(fused, composite, name);
  });
}

test('an Adam step on the native path runs one kernel per variable', { skip: skipNative }, () => {
  const v = tf.tidy(() => tf.variable(tf.ones([64, 64])));
  const g = tf.fill([64, 64], 0.5);
  const adam = new Adam();
  adam.applyGradients(new Map([[v, g]]), 0.1); // creates the slots
  const kernels: string[] = [];
  const profile = tf.profile(() => adam.applyGradients(new Map([[v, g]]), 0.1));
  return profile.then((info) => {
    kernels.push(...info.kernels.map((k) => k.name));
    assert.deepEqual(kernels, [FUSED_ADAM_KERNEL]);
    assert.equal(info.newTensors, 0, 'the step leaves no new tensors');
    tf.dispose([v, g]);
    adam.dispose();
  });
});
