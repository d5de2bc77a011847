import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { ExpertMixture } from '../../src/architectures/expertMixture.js';
import { loadAddon } from '../../src/backend/native/addon.js';
import { EXPERT_MIXTURE_KERNEL, expertMixture } from '../../src/backend/native/fusedExpertMixture.js';
import { assertClose, installNative, kernelsRun, onStockCpu, randomTensor, skipNative } from './helpers.js';

/**
 * MMoE/PLE's gated sum of experts on the native path (the `MtlExpertMixture` kernel and
 * its one-call gradient, src/backend/native/fusedExpertMixture.ts) against the same
 * mixture as tfjs ops on stock cpu: output and the gradients on the gate and every
 * expert, for odd batch sizes, expert counts and feature shapes; gradients asked for
 * only some inputs; second order; the layer itself; and hand-computed values.
 */
const load = loadAddon();
const addon = load.ok ? load.addon : null;

interface Result {
  y: Float32Array;
  grads: Float32Array[];
}

/** y = mixture(gate, experts) and the gradients of Σ y·r on the inputs at `wrt` (0 = gate, e + 1 = expert e). */
function forwardBackward(gate: tf.Tensor, experts: tf.Tensor[], r: tf.Tensor, wrt: number[]): Result {
  let result!: Result;
  tf.tidy(() => {
    const inputs = [gate, ...experts];
    const y = expertMixture(gate, experts);
    const { grads } = tf.engine().gradients(() => {
      const all = [...inputs];
      return tf.sum(tf.mul(expertMixture(all[0]!, all.slice(1)), r)) as tf.Scalar;
    }, wrt.map((i) => inputs[i]!), undefined, true);
    result = { y: Float32Array.from(y.dataSync() as Float32Array), grads: grads.map((g) => Float32Array.from(g!.dataSync() as Float32Array)) };
  });
  return result;
}

/** A softmax gate [batch, count] (rows sum to 1, as MMoE's gates). */
function gateTensor(batch: number, count: number, seed: number): tf.Tensor {
  return tf.tidy(() => tf.softmax(randomTensor([batch, count], seed, -3, 3)));
}

describe('fused expert mixture (MtlExpertMixture) vs tfjs ops on stock cpu', { skip: skipNative || !addon?.expertMixture }, () => {
  before(installNative);

  const cases: Array<[number, number, number[]]> = [
    [1, 1, [1]], [7, 3, [5]], [33, 8, [64]], [4, 2, [3, 5]], [130, 5, [17]], [2, 9, [2, 2, 3]],
  ];
  for (const [batch, count, features] of cases) {
    test(`batch ${batch}, ${count} experts of [${features}]: output and every gradient, one kernel, nothing leaked`, async () => {
      const before = tf.memory().numTensors;
      let seed = batch * 100 + count;
      const gate = gateTensor(batch, count, seed++);
      const experts = Array.from({ length: count }, () => randomTensor([batch, ...features], seed++, -2, 2));
      const r = randomTensor([batch, ...features], seed++);
      const wrt = Array.from({ length: count + 1 }, (_, i) => i);
      let got!: Result;
      const ran = kernelsRun(() => (got = forwardBackward(gate, experts, r, wrt)));
      assert.equal(ran.filter((k) => k === EXPERT_MIXTURE_KERNEL).length, 2, `one kernel per forward: ${ran.join(', ')}`);
      for (const k of ['Pack', 'BatchMatMul', 'Unpack', 'ExpandDims']) assert.ok(!ran.includes(k), `no ${k}: ${ran.join(', ')}`);
      const want = await onStockCpu(() => forwardBackward(gate, experts, r, wrt));
      assertClose(got.y, want.y, 2e-5, 'y');
      got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, 5e-5, i === 0 ? 'dgate' : `dexpert ${i - 1}`));
      tf.dispose([gate, ...experts, r]);
      assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    });
  }

  test('hand-computed: y = Σ g_e x_e, dgate = Σ_f dy·x_e, dx_e = g_e·dy', () => {
    const gate = tf.tensor2d([[0.25, 0.75], [1, 0]]);
    const x0 = tf.tensor2d([[1, 2, 3], [4, 5, 6]]), x1 = tf.tensor2d([[-1, 0, 1], [10, 10, 10]]);
    const r = tf.tensor2d([[1, 1, 2], [0.5, -1, 1]]);
    const got = forwardBackward(gate, [x0, x1], r, [0, 1, 2]);
    assert.deepEqual(Array.from(got.y), [0.25 - 0.75, 0.5, 0.75 + 0.75, 4, 5, 6]);
    assert.deepEqual(Array.from(got.grads[0]!), [1 + 2 + 6, -1 + 0 + 2, 2 - 5 + 6, 5 - 10 + 10]);
    assert.deepEqual(Array.from(got.grads[1]!), [0.25, 0.25, 0.5, 0.5, -1, 1]);
    assert.deepEqual(Array.from(got.grads[2]!), [0.75, 0.75, 1.5, 0, -0, 0]);
    tf.dispose([gate, x0, x1, r]);
  });

  test('gradients asked for the gate only, and for some experts only', async () => {
    const gate = gateTensor(6, 4, 1);
    const experts = Array.from({ length: 4 }, (_, e) => randomTensor([6, 7], 10 + e));
    const r = randomTensor([6, 7], 20);
    const before = tf.memory().numTensors;
    for (const wrt of [[0], [2, 4], [1]]) {
      const got = forwardBackward(gate, experts, r, wrt);
      const want = await onStockCpu(() => forwardBackward(gate, experts, r, wrt));
      got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, 5e-5, `input ${wrt[i]} of [${wrt}]`));
    }
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    tf.dispose([gate, ...experts, r]);
  });

  test('second-order gradients through the mixture match tfjs ops', async () => {
    const gate = gateTensor(3, 2, 30);
    const x0 = randomTensor([3, 4], 31), x1 = randomTensor([3, 4], 32);
    // d/dgate of |d(Σ y²)/dx0|²: the mixture's gradient is itself differentiated.
    const secondOrder = () => tf.tidy(() => {
      const outer = tf.grad((g: tf.Tensor) => {
        const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.square(expertMixture(g, [x, x1]))))(x0);
        return tf.sum(tf.square(dx));
      });
      return Float32Array.from(outer(gate).dataSync() as Float32Array);
    });
    const got = secondOrder();
    const want = await onStockCpu(secondOrder);
    assertClose(got, want, 5e-5, 'second order');
    assert.ok(got.some((v) => v !== 0), 'a non-trivial second-order gradient');
    tf.dispose([gate, x0, x1]);
  });

  test('the ExpertMixture layer runs the fused kernel and gives the ops\' output', async () => {
    const layer = new ExpertMixture({});
    const gate = gateTensor(5, 3, 40);
    const experts = Array.from({ length: 3 }, (_, e) => randomTensor([5, 2, 3], 41 + e));
    let y!: Float32Array;
    const ran = kernelsRun(() => {
      y = tf.tidy(() => Float32Array.from((layer.apply([gate, ...experts]) as tf.Tensor).dataSync() as Float32Array));
    });
    assert.ok(ran.includes(EXPERT_MIXTURE_KERNEL), `ran: ${ran.join(', ')}`);
    const want = await onStockCpu(() => tf.tidy(() => Float32Array.from((layer.apply([gate, ...experts]) as tf.Tensor).dataSync() as Float32Array)));
    assertClose(y, want, 2e-5, 'layer output');
    tf.dispose([gate, ...experts]);
  });
});
