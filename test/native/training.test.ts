import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { createLenet, createMlp, randomBatch, trainStep, type TrainableModel } from '../../bench/native/models.js';
import { nativeKernelCounts } from '../../src/backend/native.js';
import { installNative, onStockCpu, skipNative } from './helpers.js';

/** Trains a fresh model for `steps` steps on one fixed batch; returns the losses. Leaves no tensors behind. */
function train(
  make: () => TrainableModel, optimizer: () => tf.Optimizer, inputShape: number[], heads: number, classes: number, steps: number,
): number[] {
  const before = tf.memory().numTensors;
  const model = make();
  const opt = optimizer();
  const { x, labels } = randomBatch(inputShape, heads, classes);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(trainStep(model, opt, x, labels));
  tf.dispose([x, ...labels, ...model.variables]);
  opt.dispose();
  assert.equal(tf.memory().numTensors, before, 'training leaked tensors');
  return losses;
}

function assertSameLosses(got: number[], want: number[], rtol: number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.abs(want[i]!);
    worst = Math.max(worst, err);
    assert.ok(err <= rtol, `step ${i}: native loss ${got[i]} vs stock ${want[i]} (relative error ${err.toExponential(2)})`);
  }
  assert.ok(want[want.length - 1]! < want[0]!, `the loss should fall: ${want[0]} -> ${want[want.length - 1]}`);
  return worst;
}

const summary = (got: number[], want: number[], worst: number) =>
  `loss ${want[0]!.toFixed(4)} -> ${want[want.length - 1]!.toFixed(4)}; worst relative difference native vs stock ${worst.toExponential(2)}`;

describe('training natively gives the same losses as stock cpu', { skip: skipNative }, () => {
  before(installNative);

  test('two-head LeNet, 30 SGD steps at batch 4', async (t) => {
    const run = () => train(() => createLenet(3), () => tf.train.sgd(0.1), [4, 28, 28, 1], 2, 10, 30);
    const want = await onStockCpu(run);
    const counts = nativeKernelCounts();
    const got = run();
    t.diagnostic(summary(got, want, assertSameLosses(got, want, 1e-4)));
    // The heavy kernels really ran natively.
    const after = nativeKernelCounts();
    for (const name of ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'BatchMatMul']) {
      assert.ok(after[name]!.native > counts[name]!.native, `${name} did not run natively`);
    }
  });

  test('three-head MLP, 40 Adam steps at batch 32', async (t) => {
    const run = () => train(() => createMlp(5), () => tf.train.adam(1e-2), [32, 64], 3, 3, 40);
    const want = await onStockCpu(run);
    const got = run();
    t.diagnostic(summary(got, want, assertSameLosses(got, want, 1e-4)));
  });
});
