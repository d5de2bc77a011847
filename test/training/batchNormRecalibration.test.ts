import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from '../../src/architectures/batchNorm.js';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { createTask } from '../../src/tasks/createTask.js';
import { hasBatchNorm, recalibrateBatchNorm } from '../../src/training/batchNormRecalibration.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { Random } from '../../src/random/random.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { toyData } from '../helpers.js';

const task = createTask({ name: 'a', kind: 'regression', outputs: 3 });

/** input [3] → dropout(0.5) → batch norm → output: the layer order whose statistics training mode gets wrong. */
function dropoutThenBatchNorm(): { model: MultiTaskModel; dropout: tf.layers.Layer; norm: tf.layers.Layer } {
  const input = tf.input({ shape: [3] });
  const dropout = tf.layers.dropout({ rate: 0.5 });
  const norm = batchNormalization();
  const output = norm.apply(dropout.apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  return {
    dropout,
    norm,
    model: {
      architecture: 'test',
      tasks: [task],
      model,
      sharedVariables: [],
      taskVariables: { a: [] },
      forward: (x, training) => ({ a: model.apply(x, { training }) as tf.Tensor2D }),
      parameterCount: () => model.countParams(),
    },
  };
}

/** n rows of 3 features, column c scaled by c + 1 and shifted by 2c. */
function rows(n: number): { data: ArrayDataset; x: Float32Array } {
  const r = new Random(3);
  const x = Float32Array.from({ length: n * 3 }, (_, i) => r.normal() * ((i % 3) + 1) + 2 * (i % 3));
  const data = new ArrayDataset({ data: x, shape: [n, 3] }, { a: { values: new Float32Array(n * 3), width: 3 } });
  return { data, x };
}

/** Per-column mean and biased variance of the given rows of x. */
function columnMoments(x: Float32Array, rowsIdx: readonly number[]): { mean: number[]; variance: number[] } {
  const mean = [0, 1, 2].map((c) => rowsIdx.reduce((s, r) => s + x[r * 3 + c]!, 0) / rowsIdx.length);
  const variance = [0, 1, 2].map((c) => rowsIdx.reduce((s, r) => s + (x[r * 3 + c]! - mean[c]!) ** 2, 0) / rowsIdx.length);
  return { mean, variance };
}

function movingStats(norm: tf.layers.Layer): { mean: number[]; variance: number[] } {
  const [, , movingMean, movingVariance] = norm.getWeights();
  return { mean: Array.from(movingMean!.dataSync()), variance: Array.from(movingVariance!.dataSync()) };
}

function assertClose(actual: number[], expected: number[], tol: number, what: string): void {
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${v} vs ${expected[i]}`));
}

test('batch-norm recalibration: one batch of all rows gives the data mean and biased variance, with dropout off, whatever the old statistics', () => {
  const { model, dropout, norm } = dropoutThenBatchNorm();
  const { data, x } = rows(64);
  const [gamma, beta] = norm.getWeights();
  norm.setWeights([gamma!, beta!, tf.fill([3], 123), tf.fill([3], 456)]);
  const used = recalibrateBatchNorm(model, data, { batches: 5, batchSize: 64, seed: 0 });
  assert.equal(used, 1);
  const expected = columnMoments(x, Array.from({ length: 64 }, (_, i) => i));
  const got = movingStats(norm);
  assertClose(got.mean, expected.mean, 1e-5, 'moving mean');
  // With dropout 0.5 active, E[x²] would double: the variance would be far larger.
  assertClose(got.variance, expected.variance, 1e-4, 'moving variance');
  // The layers are left as they were.
  assert.equal((dropout as unknown as { rate: number }).rate, 0.5);
  assert.equal((norm as unknown as { momentum: number }).momentum, 0.9);
  model.model.dispose();
});

test('batch-norm recalibration: over k batches the statistics are the mean of the k batch statistics (a fixed shuffle from the seed)', () => {
  const { model, norm } = dropoutThenBatchNorm();
  const { data, x } = rows(40);
  // batchSize 16: two full batches of the shuffle, the last 8 rows dropped; batches: 2.
  const used = recalibrateBatchNorm(model, data, { batches: 2, batchSize: 16, seed: 'seven' });
  assert.equal(used, 2);
  const order = Array.from(new Random('seven:batch-norm-recalibration').permutation(40));
  const first = columnMoments(x, order.slice(0, 16));
  const second = columnMoments(x, order.slice(16, 32));
  const got = movingStats(norm);
  assertClose(got.mean, first.mean.map((m, c) => (m + second.mean[c]!) / 2), 1e-5, 'moving mean');
  assertClose(got.variance, first.variance.map((v, c) => (v + second.variance[c]!) / 2), 1e-4, 'moving variance');
  model.model.dispose();
});

test('batch-norm recalibration: a layer that runs on every task path gets the mean over all its calls, not the last task\'s', () => {
  // One batch-norm layer applied to x and to 3x + 5 (two tasks' paths through a shared layer).
  const input = tf.input({ shape: [3] });
  const norm = batchNormalization();
  const scaled = tf.layers.dense({ units: 3, useBias: true, trainable: false, weights: [tf.mul(tf.eye(3), 3), tf.fill([3], 5)] }).apply(input) as tf.SymbolicTensor;
  const outA = norm.apply(input) as tf.SymbolicTensor;
  const outB = norm.apply(scaled) as tf.SymbolicTensor;
  const net = tf.model({ inputs: input, outputs: [outA, outB] });
  const model: MultiTaskModel = {
    architecture: 'test', tasks: [task], model: net, sharedVariables: [], taskVariables: { a: [] },
    forward: (x, training) => {
      const [a, b] = net.apply(x, { training }) as tf.Tensor2D[];
      return { a: a!, b: b! };
    },
    parameterCount: () => net.countParams(),
  };
  const { data, x } = rows(32);
  recalibrateBatchNorm(model, data, { batches: 3, batchSize: 8, seed: 1 });
  const order = Array.from(new Random('1:batch-norm-recalibration').permutation(32));
  const batches = [0, 1, 2].map((b) => columnMoments(x, order.slice(8 * b, 8 * b + 8)));
  // The 3x + 5 path: mean 3m + 5, variance 9v. Six calls in all, each weighted 1/6.
  const mean = [0, 1, 2].map((c) => batches.reduce((s, m) => s + m.mean[c]! + 3 * m.mean[c]! + 5, 0) / 6);
  const variance = [0, 1, 2].map((c) => batches.reduce((s, m) => s + 10 * m.variance[c]!, 0) / 6);
  const got = movingStats(norm);
  assertClose(got.mean, mean, 1e-5, 'moving mean');
  assertClose(got.variance, variance, 1e-4, 'moving variance');
  assert.equal(Object.prototype.hasOwnProperty.call(norm, 'call'), false, 'the layer is restored');
  net.dispose();
});

test('batch-norm recalibration: a model without batch norm is untouched and no tensor is left behind', () => {
  installSeededRandom(1);
  const { data, tasks } = toyData(40);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8], dropout: 0.3 } });
  assert.equal(hasBatchNorm(model), false);
  const before = tf.memory().numTensors;
  assert.equal(recalibrateBatchNorm(model, data, { batches: 4, batchSize: 8, seed: 0 }), 0);
  const { model: withNorm } = dropoutThenBatchNorm();
  const { data: three } = rows(32);
  const afterBuild = tf.memory().numTensors;
  recalibrateBatchNorm(withNorm, three, { batches: 3, batchSize: 8, seed: 0 });
  assert.equal(tf.memory().numTensors, afterBuild);
  withNorm.model.dispose();
  assert.equal(tf.memory().numTensors, before);
  model.model.dispose();
});

test('fit recalibrates the batch-norm statistics before every evaluation (the saved statistics are those of the final weights); 0 turns it off', async () => {
  const trainOnce = async (batchNormRecalibration?: number) => {
    installSeededRandom(5);
    const { data, tasks } = toyData(48);
    const image = new ArrayDataset(
      { data: Float32Array.from({ length: 48 * 16 }, (_, i) => Math.sin(i)), shape: [48, 4, 4, 1] },
      Object.fromEntries(tasks.map((t) => [t.name, data.targets[t.name]!])),
    );
    const model = hardSharing({ tasks, inputShape: [4, 4, 1], encoder: { type: 'resnet', width: 2, stages: 1 } });
    const optimizer = new Adam();
    await fit({
      model, train: image, evaluation: image, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {},
      optimizer, learningRate: 0.01, epochs: 2, batchSize: 16, seed: 5, progress: false, log: () => {},
      ...(batchNormRecalibration !== undefined ? { batchNormRecalibration } : {}),
    });
    optimizer.dispose();
    return { model, image };
  };
  const moving = (m: MultiTaskModel) => m.model.weights.filter((w) => /moving/.test(w.name)).map((w) => Array.from(w.read().dataSync()));
  const { model, image } = await trainOnce();
  assert.ok(hasBatchNorm(model));
  const saved = moving(model);
  // Recomputing with the last epoch's seed on the final weights gives the same statistics.
  recalibrateBatchNorm(model, image, { batches: 32, batchSize: 16, seed: '5:epoch:1' });
  const again = moving(model);
  saved.forEach((s, i) => assertClose(s, again[i]!, 1e-6, `moving statistic ${i}`));
  model.model.dispose();
  const { model: off } = await trainOnce(0);
  const kept = moving(off);
  assert.ok(kept.some((s, i) => s.some((v, k) => Math.abs(v - saved[i]![k]!) > 1e-4)), 'without recalibration the moving averages of training stay');
  off.model.dispose();
});
