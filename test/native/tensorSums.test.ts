import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { nativeTensorSums } from '../../src/backend/native/tensorSums.js';
import { nonFiniteTensors } from '../../src/training/divergence.js';
import { installNative, kernelsRun, onStockCpu, randomTensor, skipNative } from './helpers.js';

/**
 * The divergence check's sums read straight off the cpu backend
 * (src/backend/native/tensorSums.ts): the same floats as the `Sum` kernel on stock tfjs
 * cpu, NaN / ±∞ / a sum past float32's range flagged exactly as the ops flag them, no
 * engine call and no tensor made, and null (the ops run) where it cannot read the data.
 */
describe('native tensor sums for the divergence check', { skip: skipNative }, () => {
  before(installNative);

  function cases(): tf.Tensor[] {
    return [
      randomTensor([7, 13], 1),
      randomTensor([1], 2, -1e3, 1e3),
      tf.tensor1d([1, Number.NaN, 2]),
      tf.tensor2d([[Number.POSITIVE_INFINITY, 1]]),
      tf.tensor1d([Number.NEGATIVE_INFINITY]),
      tf.tensor1d([3e38, 3e38, 3e38]), // every element finite, the sum past float32's range
      tf.tensor1d([3e38, -3e38, 1]), // large but cancelling: finite
      tf.zeros([0, 4]),
      randomTensor([257, 129], 3, -5, 5),
    ];
  }

  test('the same sums as stock tfjs cpu Sum, the same tensors flagged, no engine call, nothing made', async () => {
    const tensors = cases();
    const before = tf.memory().numTensors;
    let sums!: Float32Array | null;
    let flagged!: number[];
    const ran = kernelsRun(() => {
      sums = nativeTensorSums(tensors);
      flagged = nonFiniteTensors(tensors);
    });
    assert.deepEqual(ran, [], `engine calls: ${ran.join(', ')}`);
    assert.equal(tf.memory().numTensors, before, 'tensors made');
    assert.ok(sums !== null);
    assert.deepEqual(flagged, [2, 3, 4, 5]);
    const want = await onStockCpu(() => tensors.map((t) => tf.tidy(() => tf.sum(t).dataSync()[0]!)));
    const wantFlagged = await onStockCpu(() => nonFiniteTensors(tensors));
    assert.deepEqual(wantFlagged, flagged);
    want.forEach((w, i) => {
      const got = sums![i]!;
      if (Number.isNaN(w)) assert.ok(Number.isNaN(got), `tensor ${i}: ${got} vs NaN`);
      else assert.ok(Math.abs(got - w) <= 1e-6 * Math.max(1, Math.abs(w)) || got === w, `tensor ${i}: ${got} vs ${w}`);
    });
    tf.dispose(tensors);
  });

  test('null where the data is not float32 on the cpu backend (the ops then run)', () => {
    const ints = tf.tensor1d([1, 2, 3], 'int32');
    const floats = tf.tensor1d([1, 2]);
    assert.equal(nativeTensorSums([floats, ints]), null);
    assert.deepEqual(Array.from(nativeTensorSums([floats])!), [3]);
    assert.deepEqual(nonFiniteTensors([ints]), []);
    tf.dispose([ints, floats]);
  });
});
