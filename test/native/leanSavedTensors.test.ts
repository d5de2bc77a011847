import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { leanSavedTensorsActive, useLeanSavedTensors } from '../../src/backend/native/leanSavedTensors.js';
import { uninstallNative } from '../../src/backend/native.js';
import { installNative, kernelsRun, randomTensor, skipNative } from './helpers.js';

/**
 * The native path's lean copies of saved tensors (src/backend/native/leanSavedTensors.ts):
 * no Identity kernel and no tape node per saved tensor under one gradient tape, the same
 * gradients as tfjs's own copies, no leaked tensors or buffers, the data kept alive when
 * the originals are disposed before the backward pass, tfjs's copies (and exact
 * second-order gradients) under nested tapes, and tfjs's own behaviour back after
 * uninstalling.
 */
/** Identity kernels the engine ran while `fn` ran (tfjs's copies of saved tensors). */
function identityCalls(fn: () => void): number {
  return kernelsRun(fn).filter((k) => k === 'Identity').length;
}

/** f(x, w) = Σ tanh(x·w)² · sigmoid(x·w) + mean(w³): ops that save inputs and outputs. */
function f(x: tf.Tensor, w: tf.Tensor): tf.Scalar {
  const h = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
  return tf.add(tf.sum(tf.mul(tf.square(tf.tanh(h)), tf.sigmoid(h))), tf.mean(tf.pow(w, 3))) as tf.Scalar;
}

function gradients(x: tf.Tensor, w: tf.Tensor): Float32Array[] {
  return tf.tidy(() => tf.grads(f)([x, w]).map((g) => Float32Array.from(g.dataSync() as Float32Array)));
}

describe('lean copies of saved tensors on the native path', { skip: skipNative }, () => {
  before(installNative);

  test('one tape: no Identity calls, the gradients of tfjs\'s own copies, nothing leaked', () => {
    assert.ok(leanSavedTensorsActive());
    const x = randomTensor([5, 7], 1), w = randomTensor([7, 3], 2);
    const memory = tf.memory();
    let got!: Float32Array[];
    assert.equal(identityCalls(() => (got = gradients(x, w))), 0);
    assert.equal(tf.memory().numTensors, memory.numTensors, 'tensors');
    assert.equal(tf.memory().numDataBuffers, memory.numDataBuffers, 'data buffers');
    // The same native kernels with tfjs's own copies.
    useLeanSavedTensors(false);
    let want!: Float32Array[];
    try {
      assert.ok(identityCalls(() => (want = gradients(x, w))) > 0, 'tfjs copies with Identity');
    } finally {
      useLeanSavedTensors(true);
    }
    assert.deepEqual(got, want);
    tf.dispose([x, w]);
  });

  test('saved data outlives the disposal of the originals before the backward pass', () => {
    const w = tf.variable(randomTensor([4, 4], 3));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const h = tf.relu(tf.matMul(tf.ones([2, 4]), w));
      const y = tf.sum(tf.exp(h)) as tf.Scalar;
      // Dispose what the kernels saved (h, exp(h)): their copies must keep the data.
      h.dispose();
      return y;
    }, [w]);
    const g = grads[w.name]!;
    const want = tf.tidy(() => {
      const h = tf.relu(tf.matMul(tf.ones([2, 4]), w));
      const mask = tf.cast(tf.greater(h, 0), 'float32');
      return tf.matMul(tf.ones([2, 4]), tf.mul(tf.exp(h), mask), true, false).dataSync();
    });
    assert.deepEqual(Array.from(g.dataSync()), Array.from(want));
    tf.dispose([value, g]);
    assert.equal(tf.memory().numTensors, before);
    w.dispose();
  });

  test('nested tapes (second order) keep tfjs\'s copies and exact Hessian-vector products', () => {
    // g(x) = Σ (∂/∂x Σ x³)² = Σ 9x⁴ → ∂g/∂x = 36x³.
    const x = tf.tensor1d([0.5, -1.25, 2]);
    const before = tf.memory().numTensors;
    let got!: Float32Array;
    const copies = identityCalls(() => {
      got = tf.tidy(() => Float32Array.from(tf.grad((v: tf.Tensor) =>
        tf.sum(tf.square(tf.grad((u: tf.Tensor) => tf.sum(tf.pow(u, 3)))(v))))(x).dataSync() as Float32Array));
    });
    assert.ok(copies > 0, 'the inner tape copies through Identity');
    assert.deepEqual(Array.from(got), [0.5, -1.25, 2].map((v) => Math.fround(36 * v ** 3)));
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  test('uninstalling the native path puts tfjs\'s own copies back', async () => {
    uninstallNative();
    try {
      assert.ok(!leanSavedTensorsActive());
      const x = randomTensor([3, 2], 4), w = randomTensor([2, 2], 5);
      assert.ok(identityCalls(() => gradients(x, w)) > 0);
      tf.dispose([x, w]);
    } finally {
      await installNative();
    }
    assert.ok(leanSavedTensorsActive());
  });
});
