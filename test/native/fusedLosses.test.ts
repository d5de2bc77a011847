import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import {
  MASKED_MEAN_KERNEL, SIGMOID_CROSS_ENTROPY_KERNEL, SOFTMAX_CROSS_ENTROPY_KERNEL, WEIGHTED_SUM_KERNEL, fusedSoftmaxCrossEntropy, fusedWeightedSum,
  sigmoidCrossEntropyGradKernel, sigmoidCrossEntropyKernel, softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel,
} from '../../src/backend/native/fusedLosses.js';
import { loadAddon, type NativeAddon } from '../../src/backend/native/addon.js';
import type { CpuBackend } from '../../src/backend/native/cpuTensors.js';
import type { NativeAddedKernel } from '../../src/backend/native/kernels/optimizerUpdates.js';
import { maskedMeanLoss, sigmoidCrossEntropy, softmaxCrossEntropy, weightedLossSum } from '../../src/tasks/losses.js';
import { assertClose, installNative, kernelsRun, onStockCpu, randomTensor, skipNative } from './helpers.js';

/**
 * The native path's single-kernel losses (softmax cross-entropy per example, the masked
 * mean) against src/tasks/losses.ts's composite ops on tfjs's stock cpu kernels: values
 * and gradients on odd shapes, labels outside the classes, masks with missing labels,
 * an all-missing batch, extreme logits, second-order gradients and no leaks.
 */

/** Σ w·masked-mean(CE(z, labels)) and its gradient on z (and the per-example losses). */
function lossAndGradient(z: tf.Tensor, labels: tf.Tensor, mask: tf.Tensor, weight: number) {
  return tf.tidy(() => {
    const perExample = softmaxCrossEntropy(z as tf.Tensor2D, labels as tf.Tensor2D);
    const { value, grads } = tf.engine().gradients(
      () => tf.mul(maskedMeanLoss(softmaxCrossEntropy(z as tf.Tensor2D, labels as tf.Tensor2D), mask as tf.Tensor1D), weight) as tf.Scalar,
      [z], undefined, true);
    return {
      perExample: Float32Array.from(perExample.dataSync() as Float32Array),
      value: value.dataSync()[0]!,
      dz: Float32Array.from(grads[0]!.dataSync() as Float32Array),
    };
  });
}

describe('fused softmax cross-entropy and masked mean vs the composite ops on stock cpu', { skip: skipNative }, () => {
  before(installNative);

  const cases: Array<{ name: string; n: number; k: number; labels: (i: number) => number; mask: (i: number) => number; scale?: number }> = [
    { name: '1 example, 2 classes', n: 1, k: 2, labels: () => 1, mask: () => 1 },
    { name: '7 × 13, all labelled', n: 7, k: 13, labels: (i) => (i * 5) % 13, mask: () => 1 },
    { name: '31 × 3, some missing', n: 31, k: 3, labels: (i) => i % 3, mask: (i) => (i % 4 === 0 ? 0 : 1) },
    { name: 'labels outside [0, k) and NaN', n: 6, k: 4, labels: (i) => [-1, 4, Number.NaN, 2.7, 0, 3][i]!, mask: () => 1 },
    { name: 'every label missing', n: 5, k: 3, labels: () => 0, mask: () => 0 },
    { name: 'large logits', n: 9, k: 5, labels: (i) => i % 5, mask: () => 1, scale: 80 },
    { name: '257 × 10 (a batch)', n: 257, k: 10, labels: (i) => (i * 7) % 10, mask: (i) => (i % 11 === 3 ? 0 : 1) },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const before = tf.memory().numTensors;
      const z = tf.tidy(() => tf.mul(randomTensor([c.n, c.k], c.n * 31 + c.k), c.scale ?? 3));
      const labels = tf.tensor2d(Float32Array.from({ length: c.n }, (_, i) => c.labels(i)), [c.n, 1]);
      const mask = tf.tensor1d(Float32Array.from({ length: c.n }, (_, i) => c.mask(i)));
      let got!: ReturnType<typeof lossAndGradient>;
      const ran = kernelsRun(() => (got = lossAndGradient(z, labels, mask, 0.7)));
      assert.ok(ran.includes(SOFTMAX_CROSS_ENTROPY_KERNEL) && ran.includes(MASKED_MEAN_KERNEL), `fused kernels ran: ${ran.join(', ')}`);
      const want = await onStockCpu(() => lossAndGradient(z, labels, mask, 0.7));
      assertClose(got.perExample, want.perExample, 1e-6, `${c.name}: per-example losses`);
      assertClose(Float32Array.of(got.value), Float32Array.of(want.value), 1e-6, `${c.name}: loss`);
      assertClose(got.dz, want.dz, 1e-6, `${c.name}: gradient`);
      tf.dispose([z, labels, mask]);
      assert.equal(tf.memory().numTensors, before, `${c.name}: leaked tensors`);
    });
  }

  for (const [n, c, soft] of [[1, 1, false], [7, 3, false], [257, 1, false], [5, 4, true]] as const) {
    test(`sigmoid cross-entropy ${n} × ${c}${soft ? ', probability labels' : ''}: values and gradients on logits and labels`, async () => {
      const before = tf.memory().numTensors;
      const z = tf.tidy(() => tf.mul(randomTensor([n, c], 200 + n), 4));
      const y = soft ? randomTensor([n, c], 300 + n, 0, 1) : tf.tidy(() => tf.cast(tf.greater(randomTensor([n, c], 300 + n), 0), 'float32'));
      const mask = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => (i % 3 === 2 ? 0 : 1)));
      const run = () => tf.tidy(() => {
        const perExample = sigmoidCrossEntropy(z as tf.Tensor2D, y as tf.Tensor2D);
        const { value, grads } = tf.engine().gradients(
          () => maskedMeanLoss(sigmoidCrossEntropy(z as tf.Tensor2D, y as tf.Tensor2D), mask as tf.Tensor1D), [z, y], undefined, true);
        return { perExample: Float32Array.from(perExample.dataSync() as Float32Array), value: value.dataSync()[0]!,
          dz: Float32Array.from(grads[0]!.dataSync() as Float32Array), dy: Float32Array.from(grads[1]!.dataSync() as Float32Array) };
      });
      let got!: ReturnType<typeof run>;
      const ran = kernelsRun(() => (got = run()));
      assert.ok(ran.includes(SIGMOID_CROSS_ENTROPY_KERNEL), `fused kernel ran: ${ran.join(', ')}`);
      const want = await onStockCpu(run);
      assertClose(got.perExample, want.perExample, 1e-6, 'per-example losses');
      assertClose(Float32Array.of(got.value), Float32Array.of(want.value), 1e-6, 'loss');
      assertClose(got.dz, want.dz, 1e-6, 'gradient on the logits');
      assertClose(got.dy, want.dy, 1e-6, 'gradient on the labels');
      tf.dispose([z, y, mask]);
      assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    });
  }

  test('hand-computed: two classes, one missing label', () => {
    // logits [0, ln 3] → p = [1/4, 3/4]; label 1: loss −ln(3/4); label 0 missing.
    const z = tf.tensor2d([[0, Math.log(3)], [5, -5]]);
    const labels = tf.tensor2d([[1], [0]]);
    const mask = tf.tensor1d([1, 0]);
    const got = lossAndGradient(z, labels, mask, 1);
    assert.ok(Math.abs(got.perExample[0]! + Math.log(0.75)) < 1e-6);
    assert.ok(Math.abs(got.value + Math.log(0.75)) < 1e-6, 'mean over the one labelled example');
    assertClose(got.dz, Float32Array.of(0.25, -0.25, 0, 0), 1e-6, 'gradient: p − onehot on the labelled row, 0 on the missing one');
    tf.dispose([z, labels, mask]);
  });

  test('second-order gradients go through differentiable ops and match the analytic Hessian product', () => {
    // F(z) = |∂L/∂z|² for L = masked mean of CE; with c_i = mask_i / Σ mask and
    // g_i = c_i (p_i − onehot_i): ∂F/∂z_i = 2 c_i (p_i ⊙ g_i − p_i (p_i · g_i)).
    const n = 4, k = 3, labelList = [0, 2, 1, 1], maskList = [1, 1, 0, 1];
    const z0 = randomTensor([n, k], 90);
    const labels = tf.tensor2d(labelList, [n, 1]);
    const mask = tf.tensor1d(maskList);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const g = tf.grad((z: tf.Tensor) => tf.sum(tf.square(tf.grad((w: tf.Tensor) =>
        maskedMeanLoss(softmaxCrossEntropy(w as tf.Tensor2D, labels), mask))(z))));
      return Float32Array.from(g(z0).dataSync() as Float32Array);
    });
    const zv = z0.dataSync();
    const count = maskList.reduce((a, b) => a + b, 0);
    const want = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = Array.from(zv.subarray(i * k, (i + 1) * k));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
      const c = maskList[i]! / count;
      const g = p.map((pj, j) => c * (pj - (j === labelList[i] ? 1 : 0)));
      const pg = p.reduce((s, pj, j) => s + pj * g[j]!, 0);
      for (let j = 0; j < k; j++) want[i * k + j] = 2 * c * (p[j]! * g[j]! - p[j]! * pg);
    }
    assert.ok(want.some((v) => v !== 0));
    assertClose(got, want, 1e-4, 'second order');
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([z0, labels, mask]);
  });

  test('inputs it does not take fall to the composite ops: rank-3 logits, labels of width 2, int32 logits', () => {
    const z = randomTensor([3, 4], 95);
    const wide = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const z3 = randomTensor([1, 3, 4], 96), ints = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    const labels = tf.tensor2d([[1], [0], [1]]);
    assert.equal(fusedSoftmaxCrossEntropy(z, wide), null);
    assert.equal(fusedSoftmaxCrossEntropy(z3, labels), null);
    const two = tf.tensor2d([[1], [0]]);
    assert.equal(fusedSoftmaxCrossEntropy(ints, two), null);
    const taken = fusedSoftmaxCrossEntropy(z, labels);
    assert.ok(taken !== null);
    tf.dispose([z, wide, z3, ints, labels, two, taken]);
  });

  /** Σ w_t·L_t over losses L_t = Σ x_t² (null where `absent`) and its gradient on each x_t. */
  function weightedRun(xs: tf.Tensor[], weights: number[], absent: ReadonlySet<number>): { value: number; grads: Array<Float32Array | null> } {
    let result!: { value: number; grads: Array<Float32Array | null> };
    tf.tidy(() => {
      const { value, grads } = tf.engine().gradients(() => {
        const losses = xs.map((x, t) => (absent.has(t) ? null : tf.sum(tf.square(x)) as tf.Scalar));
        return weightedLossSum(losses, weights);
      }, xs, undefined, true);
      result = { value: value.dataSync()[0]!, grads: grads.map((g) => (g ? Float32Array.from(g.dataSync() as Float32Array) : null)) };
    });
    return result;
  }

  for (const [label, weights, absent] of [
    ['one task', [0.7], []],
    ['three tasks, awkward weights', [1 / 3, 2.5e-8, 1e7], []],
    ['four tasks, two absent', [0.1, 0.2, 0.3, 0.4], [1, 3]],
    ['zero and negative weights', [0, -1.5, 2], []],
  ] as Array<[string, number[], number[]]>) {
    test(`weighted loss sum, ${label}: one kernel, the same bits as the composite ops on stock cpu`, async () => {
      const before = tf.memory().numTensors;
      const xs = weights.map((_, t) => randomTensor([3, 5], 400 + t, -2, 2));
      let got!: ReturnType<typeof weightedRun>;
      const ran = kernelsRun(() => (got = weightedRun(xs, weights, new Set(absent))));
      assert.equal(ran.filter((k) => k === WEIGHTED_SUM_KERNEL).length, 1, `ran: ${ran.join(', ')}`);
      assert.ok(!ran.includes('Add'), `no per-task add: ${ran.join(', ')}`);
      const want = await onStockCpu(() => weightedRun(xs, weights, new Set(absent)));
      assert.ok(Object.is(got.value, want.value), `value ${got.value} vs ${want.value}`);
      got.grads.forEach((g, t) => {
        if (absent.includes(t)) assert.equal(g, null, `task ${t} is absent: no gradient`);
        else assert.deepEqual(g, want.grads[t], `gradient of task ${t}`);
      });
      tf.dispose(xs);
      assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    });
  }

  for (const [label, shape, weights] of [
    ['one gradient of 1 value', [1], [0.3]],
    ['three gradients [3, 5], awkward weights', [3, 5], [1 / 3, 2.5e-8, 1e7]],
    ['four gradients [257, 129] (vectors and a tail), zero and negative weights', [257, 129], [0, -1.5, 2, 0.1]],
    ['two gradients [2, 3, 4, 5]', [2, 3, 4, 5], [0.7, 0.7]],
  ] as Array<[string, number[], number[]]>) {
    test(`weighted gradient sum, ${label}: one kernel, the same floats as the composite ops on stock cpu`, async () => {
      const before = tf.memory().numTensors;
      const xs = weights.map((_, t) => randomTensor(shape, 500 + t, -3, 3));
      const composite = () => tf.tidy(() => Float32Array.from(
        xs.reduce<tf.Tensor>((acc, g, t) => tf.add(acc, tf.mul(g, weights[t]!)), tf.zerosLike(xs[0]!)).dataSync() as Float32Array));
      let got!: Float32Array;
      const ran = kernelsRun(() => {
        got = tf.tidy(() => Float32Array.from(fusedWeightedSum(xs, weights)!.dataSync() as Float32Array));
      });
      assert.deepEqual(ran, [WEIGHTED_SUM_KERNEL]);
      const want = await onStockCpu(composite);
      assert.equal(got.length, want.length);
      for (let i = 0; i < got.length; i++) assert.ok(Object.is(got[i], want[i]), `element ${i}: ${got[i]} vs ${want[i]}`);
      // A mismatched shape is left to the composite ops.
      const other = randomTensor([2], 9);
      assert.equal(fusedWeightedSum([xs[0]!, other], [1, 1]), null);
      tf.dispose([...xs, other]);
      assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    });
  }

  test('weighted loss sum: hand-computed value and gradients, every loss absent gives 0, second order through it', () => {
    const before = tf.memory().numTensors;
    const a = tf.scalar(2), b = tf.scalar(-3);
    const got = tf.tidy(() => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => weightedLossSum([tf.square(x) as tf.Scalar, null, tf.mul(y, y) as tf.Scalar], [0.5, 9, 2]));
      const [gx, gy] = g([a, b]);
      const value = weightedLossSum([tf.square(a) as tf.Scalar, null, tf.mul(b, b) as tf.Scalar], [0.5, 9, 2]);
      return [value.dataSync()[0], gx!.dataSync()[0], gy!.dataSync()[0]];
    });
    assert.deepEqual(got, [0.5 * 4 + 2 * 9, 0.5 * 2 * 2, 2 * 2 * -3]);
    const empty = weightedLossSum([null, null], [1, 1]);
    assert.equal(empty.dataSync()[0], 0);
    assert.equal(fusedWeightedSum([null, null], [1, 1]), null);
    // d/dx (d/dx (w·x³)) = 6·w·x: the gradient is itself differentiable.
    const second = tf.tidy(() =>
      tf.grad((x: tf.Tensor) => tf.grad((y: tf.Tensor) => weightedLossSum([tf.pow(y, 3) as tf.Scalar], [0.25]))(x))(a).dataSync()[0]);
    assert.ok(Math.abs(second! - 6 * 0.25 * 2) < 1e-5, `second order ${second}`);
    tf.dispose([a, b, empty]);
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  });

  test('the addon\'s loss loops give the same bits as the JavaScript loops (NaN, ±∞, extreme logits, labels outside the classes)', () => {
    const load = loadAddon();
    assert.ok(load.ok);
    const native = load.addon;
    // The kernels without the addon's loss functions run their JavaScript loops.
    const plain = Object.create(native, {
      softmaxCrossEntropy: { value: undefined }, softmaxCrossEntropyGrad: { value: undefined },
      sigmoidCrossEntropy: { value: undefined }, sigmoidCrossEntropyGrad: { value: undefined },
    }) as NativeAddon;
    const backend = tf.backend() as unknown as CpuBackend;
    const before = tf.memory().numTensors;
    const special = [Number.NaN, Infinity, -Infinity, 88.7, -104, 1e-38, -0, 0, 3.4e38];
    const n = 97;
    for (const k of [1, 2, 3, 10]) {
      const zv = Float32Array.from({ length: n * k }, (_, i) => (i % 11 === 0 ? special[(i / 11) % special.length]! : (Math.sin(i * 1.7) * 40)));
      const z = tf.tensor2d(zv, [n, k]);
      const labels = tf.tensor2d(Float32Array.from({ length: n }, (_, i) => [0, k - 1, 1.9, -1, k, Number.NaN, 1e10][i % 7]!), [n, 1]);
      const soft = tf.tensor2d(Float32Array.from({ length: n * k }, (_, i) => [0, 1, 0.25, 1, 0][i % 5]!), [n, k]);
      const dy = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => (i % 5) - 1.5));
      const runBoth = (kernel: NativeAddedKernel, inputs: Record<string, tf.Tensor>, what: string) => {
        const values = [native, plain].map((addon) => {
          const info = kernel.run({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend, attrs: {} }, addon) as tf.TensorInfo;
          const t = tf.engine().makeTensorFromTensorInfo(info);
          const out = Float32Array.from(t.dataSync() as Float32Array);
          t.dispose();
          return out;
        });
        assert.equal(values[0]!.length, values[1]!.length);
        values[0]!.forEach((v, i) => assert.ok(Object.is(v, values[1]![i]), `${what} k=${k} [${i}]: addon ${v}, JavaScript ${values[1]![i]}`));
      };
      runBoth(softmaxCrossEntropyKernel, { logits: z, labels }, 'softmax cross-entropy');
      runBoth(softmaxCrossEntropyGradKernel, { dy, logits: z, labels }, 'its gradient');
      runBoth(sigmoidCrossEntropyKernel, { logits: z, labels: soft }, 'sigmoid cross-entropy');
      runBoth(sigmoidCrossEntropyGradKernel, { dy, logits: z, labels: soft }, 'its gradient');
      tf.dispose([z, labels, soft, dy]);
    }
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  });
});
