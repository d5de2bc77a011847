import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { createMlp, randomBatch, trainStep } from '../../bench/native/models.js';
import { nativeInfo } from '../../src/backend/native.js';
import { installNative, randomTensor, skipNative } from './helpers.js';

const N = 64 * 1024;  // large enough to be pooled

describe('recycled output buffers', { skip: skipNative }, () => {
  before(installNative);

  test('a disposed output is reused for the next output of the same length', () => {
    const a = randomTensor([N], 1), b = randomTensor([N], 2);
    const pooledBefore = nativeInfo()!.pooledBytes;
    tf.add(a, b).dispose();
    assert.equal(nativeInfo()!.pooledBytes, pooledBefore + N * 4, 'the disposed output went to the pool');
    const y = tf.mul(a, b);
    assert.equal(nativeInfo()!.pooledBytes, pooledBefore, 'the next output came from the pool');
    const expected = tf.tidy(() => Float32Array.from(a.dataSync(), (v, i) => v * (b.dataSync()[i] as number)));
    assert.deepEqual(Float32Array.from(y.dataSync()), expected, 'a reused buffer is fully overwritten');
    tf.dispose([a, b, y]);
  });

  test('values read with dataSync are never reused after the tensor is disposed', () => {
    const a = randomTensor([N], 3), b = randomTensor([N], 4);
    const y = tf.add(a, b);
    const values = y.dataSync();
    const copy = Float32Array.from(values);
    y.dispose();
    const z = tf.sub(a, b);
    assert.deepEqual(values, copy, 'the array the user holds was not overwritten');
    tf.dispose([a, b, z]);
  });

  test('a slice that views the output buffer keeps it from being reused', () => {
    const a = randomTensor([2, N], 5), b = randomTensor([2, N], 6);
    const y = tf.add(a, b);
    const head = tf.slice(y, [0, 0], [1, N]);  // stock cpu slices contiguous rows as a view
    const expected = Float32Array.from(tf.tidy(() => tf.slice(tf.add(a, b), [0, 0], [1, N]).dataSync()));
    y.dispose();
    const z = tf.mul(a, b);
    assert.deepEqual(Float32Array.from(head.dataSync()), expected, 'the slice still sees its own values');
    tf.dispose([a, b, z, head]);
  });

  test('memory stays flat over 1,000 training steps (tensors and pooled bytes)', () => {
    const model = createMlp(9);
    const optimizer = tf.train.adam(1e-3);
    const { x, labels } = randomBatch([64, 64], 3, 3);
    const snapshot = () => ({ tensors: tf.memory().numTensors, pooled: nativeInfo()!.pooledBytes });
    for (let i = 0; i < 50; i++) trainStep(model, optimizer, x, labels);
    const early = snapshot();
    for (let i = 0; i < 950; i++) trainStep(model, optimizer, x, labels);
    const late = snapshot();
    assert.equal(late.tensors, early.tensors, 'tensor count');
    assert.equal(late.pooled, early.pooled, 'pooled bytes');
    tf.dispose([x, ...labels, ...model.variables]);
    optimizer.dispose();
  });
});
