import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { loadAddon } from '../../src/backend/native/addon.js';
import { DENSE_ACTIVATIONS, FUSED_DENSE_KERNEL, fusedDense } from '../../src/backend/native/fusedDense.js';
import { assertClose, disposeWeights, installNative, kernelsRun, onStockCpu, randomTensor, sgdSteps, skipNative } from './helpers.js';

/**
 * tf.layers.dense on the native path (the fused `MtlDense` kernel and its one-call
 * gradient) against the same layer on tfjs's stock cpu path: outputs and the gradients
 * on x, kernel and bias, for every activation it fuses, odd shapes, with and without
 * bias, on each GEMM path the machine runs; plus the cases it must leave to tfjs.
 */
const load = loadAddon();
const addon = load.ok ? load.addon : null;
const info = addon?.info();


interface Result {
  y: Float32Array;
  grads: Float32Array[];
}

/** The layer's output and the gradients of Σ y·r (r fixed random) on `wrt` ('x', 'kernel', 'bias'). */
function forwardBackward(layer: tf.layers.Layer, x: tf.Tensor, r: tf.Tensor, wrt: Array<'x' | 'kernel' | 'bias'>): Result {
  return tf.tidy(() => {
    const weights = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const [kernel, bias] = weights;
    const targets = wrt.map((w) => (w === 'x' ? x : w === 'kernel' ? kernel! : bias!));
    const f = (...inputs: tf.Tensor[]) => {
      const input = wrt.includes('x') ? inputs[wrt.indexOf('x')]! : x;
      return tf.sum(tf.mul(layer.apply(input) as tf.Tensor, r));
    };
    const y = layer.apply(x) as tf.Tensor;
    // tf.grads differentiates with respect to its arguments; variables are read inside the layer.
    const { grads } = tf.engine().gradients(() => f(x), targets, undefined, true);
    return { y: Float32Array.from(y.dataSync() as Float32Array), grads: grads.map((g) => Float32Array.from(g!.dataSync() as Float32Array)) };
  });
}

describe('fused dense layer (MtlDense) vs tfjs stock cpu', { skip: skipNative || !addon?.dense }, () => {
  before(installNative);
  after(() => addon!.setGemm?.(info!.isa ?? null, info!.gemm ?? null));

  const shapes: Array<[number, number, number]> = [[1, 1, 1], [7, 13, 5], [3, 1, 17], [33, 65, 31], [130, 7, 2]];
  const activations = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;
  const isas = info?.isasUsable?.split(',') ?? [];

  for (const isa of isas) {
    for (const activation of activations) {
      for (const useBias of [true, false]) {
        test(`${isa}: ${activation}${useBias ? '' : ', no bias'}: outputs and gradients on x, kernel, bias`, async () => {
          assert.ok(addon!.setGemm!(isa, 'own'));
          let seed = 1;
          for (const [rows, inputs, units] of shapes) {
            const before = tf.memory().numTensors;
            const layer = tf.layers.dense({ units, activation, useBias, kernelInitializer: 'glorotUniform' });
            const x = randomTensor([rows, inputs], seed++);
            const r = randomTensor([rows, units], seed++);
            layer.build([rows, inputs]);
            const wrt: Array<'x' | 'kernel' | 'bias'> = useBias ? ['x', 'kernel', 'bias'] : ['x', 'kernel'];
            let got!: Result;
            const ran = kernelsRun(() => (got = forwardBackward(layer, x, r, wrt)));
            assert.ok(ran.includes(FUSED_DENSE_KERNEL), 'the fused kernel ran');
            assert.ok(!ran.includes('BatchMatMul') && !ran.includes('_FusedMatMul'), `no tfjs matmul kernels: ${ran.join(', ')}`);
            const want = await onStockCpu(() => forwardBackward(layer, x, r, wrt));
            const what = `${isa} ${activation} ${rows}x${inputs}x${units}`;
            assertClose(got.y, want.y, 2e-5, `${what} y`);
            got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, 5e-5, `${what} d${wrt[i]}`));
            tf.dispose([x, r]);
            disposeWeights(layer);
            assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
          }
        });
      }
    }
  }

  test('gradients on the weights only (x not on the path), and on x only', async () => {
    const layer = tf.layers.dense({ units: 9, activation: 'relu' });
    layer.build([11, 6]);
    const x = randomTensor([11, 6], 40), r = randomTensor([11, 9], 41);
    const before = tf.memory().numTensors;
    for (const wrt of [['kernel', 'bias'], ['bias'], ['x']] as Array<Array<'x' | 'kernel' | 'bias'>>) {
      const got = forwardBackward(layer, x, r, wrt);
      const want = await onStockCpu(() => forwardBackward(layer, x, r, wrt));
      got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, 5e-5, `d${wrt[i]} of [${wrt}]`));
    }
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    tf.dispose([x, r]);
    disposeWeights(layer);
  });

  test('an input whose cpu values are not a Float32Array (a cast bool tensor) still runs fused', async () => {
    const layer = tf.layers.dense({ units: 3, activation: 'relu' });
    layer.build([4, 5]);
    const bits = tf.tidy(() => tf.cast(tf.greater(randomTensor([4, 5], 80), 0), 'float32'));
    const r = randomTensor([4, 3], 81);
    const got = forwardBackward(layer, bits, r, ['x', 'kernel', 'bias']);
    const want = await onStockCpu(() => forwardBackward(layer, bits, r, ['x', 'kernel', 'bias']));
    assertClose(got.y, want.y, 2e-5, 'y');
    got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, 5e-5, `grad ${i}`));
    tf.dispose([bits, r]);
    disposeWeights(layer);
  });

  test('second-order gradients (a gradient differentiated again) match tfjs', async () => {
    const x = randomTensor([5, 3], 50), w = randomTensor([3, 4], 51), b = randomTensor([4], 52);
    // d/dW of |d(Σ y²)/dx|² with y = tanh(xW + b): the dense gradient is recorded on a tape.
    const secondOrder = (dense: (input: tf.Tensor, kernel: tf.Tensor) => tf.Tensor) => tf.tidy(() => {
      const outer = tf.grad((kernel: tf.Tensor) => {
        const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.square(dense(input, kernel))))(x);
        return tf.sum(tf.square(dx));
      });
      return Float32Array.from(outer(w).dataSync() as Float32Array);
    });
    const before = tf.memory().numTensors;
    const got = secondOrder((input, kernel) => fusedDense(input, kernel, b, DENSE_ACTIVATIONS['tanh']!));
    const want = await onStockCpu(() => secondOrder((input, kernel) => tf.tanh(tf.add(tf.matMul(input, kernel), b))));
    assert.ok(got.some((v) => v !== 0), 'a non-trivial second-order gradient');
    assertClose(got, want, 1e-4, 'second order');
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    tf.dispose([x, w, b]);
  });

  test('inputs it does not fuse keep tfjs path: rank-3 input, elu activation, int input', () => {
    const before = tf.memory().numTensors;
    const rank3 = tf.layers.dense({ units: 3, activation: 'relu' });
    const elu = tf.layers.dense({ units: 3, activation: 'elu' });
    const x3 = randomTensor([2, 4, 5], 60), x2 = randomTensor([4, 5], 61);
    for (const [layer, x] of [[rank3, x3], [elu, x2]] as const) {
      const ran = kernelsRun(() => tf.dispose(layer.apply(x) as tf.Tensor));
      assert.ok(!ran.includes(FUSED_DENSE_KERNEL), `not fused: ${ran.join(', ')}`);
    }
    tf.dispose([x3, x2]);
    disposeWeights(rank3);
    disposeWeights(elu);
    assert.equal(tf.memory().numTensors, before);
  });

  test('a model trained with fused dense layers matches tfjs step for step', async () => {
    const train = () => sgdSteps(() => [
      tf.layers.dense({ inputShape: [6], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ], () => randomTensor([20, 6], 70), () => randomTensor([20, 3], 71, 0, 1), 0.1);
    const got = train();
    const want = await onStockCpu(train);
    assertClose(Float32Array.from(got.losses), Float32Array.from(want.losses), 1e-5, 'losses');
    got.weights.forEach((w, i) => assertClose(Float32Array.from(w), Float32Array.from(want.weights[i]!), 1e-5, `weights ${i}`));
  });
});
