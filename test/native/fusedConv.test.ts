import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { loadAddon } from '../../src/backend/native/addon.js';
import { CONV_ACTIVATIONS, FUSED_CONV_KERNEL, fusedConv2d, useFusedConv } from '../../src/backend/native/fusedConv.js';
import { assertClose, disposeWeights, installNative, kernelsRun, onStockCpu, randomTensor, sgdSteps, skipNative } from './helpers.js';

/**
 * tf.layers.conv2d on the native path (the fused `MtlConv2D` kernel and its one-call
 * gradient) against the same layer on tfjs's stock cpu path: outputs and the gradients
 * on x, kernel and bias for every activation it fuses, odd shapes, strides and both
 * paddings, with and without bias, on each instruction set the machine runs; that the
 * input gradient is only computed when asked for; and the cases it leaves to tfjs.
 */
const load = loadAddon();
const addon = load.ok ? load.addon : null;
const info = addon?.info();

interface Result {
  y: Float32Array;
  grads: Float32Array[];
}

type Wrt = 'x' | 'kernel' | 'bias';

/** The layer's output and the gradients of Σ y·r (r fixed random) on `wrt`. */
function forwardBackward(layer: tf.layers.Layer, x: tf.Tensor, r: tf.Tensor, wrt: Wrt[]): Result {
  return tf.tidy(() => {
    const [kernel, bias] = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const targets = wrt.map((w) => (w === 'x' ? x : w === 'kernel' ? kernel! : bias!));
    const y = layer.apply(x) as tf.Tensor;
    const { grads } = tf.engine().gradients(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)), targets, undefined, true);
    return { y: Float32Array.from(y.dataSync() as Float32Array), grads: grads.map((g) => Float32Array.from(g!.dataSync() as Float32Array)) };
  });
}

describe('fused conv2d layer (MtlConv2D) vs tfjs stock cpu', { skip: skipNative || !addon?.conv2dBackward }, () => {
  before(installNative);
  after(() => addon!.setGemm?.(info!.isa ?? null, info!.gemm ?? null));

  // [batch, h, w, in, filters, kernel, stride, padding]
  const cases: Array<[number, number, number, number, number, number, number, 'same' | 'valid']> = [
    [1, 1, 1, 1, 1, 1, 1, 'valid'],
    [2, 9, 7, 1, 3, 5, 1, 'valid'],
    [3, 12, 11, 10, 20, 5, 1, 'valid'],
    [2, 8, 9, 3, 17, 3, 2, 'same'],
    [1, 6, 6, 33, 5, 1, 1, 'valid'],
    [2, 7, 5, 4, 40, 3, 1, 'same'],
  ];
  const isas = info?.isasUsable?.split(',') ?? [];

  for (const isa of isas) {
    for (const activation of Object.keys(CONV_ACTIVATIONS)) {
      for (const useBias of [true, false]) {
        test(`${isa}: ${activation}${useBias ? '' : ', no bias'}: outputs and gradients on x, kernel, bias`, async () => {
          assert.ok(addon!.setGemm!(isa, 'own'));
          let seed = 1;
          for (const [batch, h, w, c, filters, kernelSize, strides, padding] of cases) {
            const before = tf.memory().numTensors;
            const layer = tf.layers.conv2d({ filters, kernelSize, strides, padding, activation: activation as 'relu', useBias,
              kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), biasInitializer: tf.initializers.randomUniform({ seed: seed++ }) });
            const x = randomTensor([batch, h, w, c], seed++);
            layer.build([batch, h, w, c]);
            const outShape = layer.computeOutputShape([batch, h, w, c]) as number[];
            const r = randomTensor(outShape, seed++);
            const wrt: Wrt[] = useBias ? ['x', 'kernel', 'bias'] : ['x', 'kernel'];
            let got!: Result;
            const ran = kernelsRun(() => (got = forwardBackward(layer, x, r, wrt)));
            assert.ok(ran.includes(FUSED_CONV_KERNEL), 'the fused kernel ran');
            assert.ok(!ran.some((k) => k.startsWith('Conv2D') || k === 'FusedConv2D'), `no tfjs conv kernels: ${ran.join(', ')}`);
            const want = await onStockCpu(() => forwardBackward(layer, x, r, wrt));
            const what = `${isa} ${activation} ${batch}x${h}x${w}x${c} → ${filters}, ${kernelSize}×${kernelSize}/${strides} ${padding}`;
            assertClose(got.y, want.y, 5e-5, `${what} y`);
            got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, 1e-4, `${what} d${wrt[i]}`));
            tf.dispose([x, r]);
            disposeWeights(layer);
            assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
          }
        });
      }
    }
  }

  test('the input gradient is computed only when the input is on the path; any subset of gradients matches tfjs', async () => {
    const layer = tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' });
    layer.build([2, 7, 8, 3]);
    const x = randomTensor([2, 7, 8, 3], 40), r = randomTensor([2, 5, 6, 6], 41);
    const before = tf.memory().numTensors;
    for (const wrt of [['kernel', 'bias'], ['bias'], ['kernel'], ['x'], ['bias', 'x']] as Wrt[][]) {
      let got!: Result;
      const calls: number[] = [];
      // The addon's functions are read-only: hand the fused op a view that records calls.
      const native = addon!.conv2dBackward!.bind(addon);
      useFusedConv(Object.create(addon, {
        conv2dBackward: { value: (...args: Parameters<typeof native>) => {
          calls.push(args[7] === null ? 0 : 1);
          native(...args);
        } },
      }));
      try {
        got = forwardBackward(layer, x, r, wrt);
      } finally {
        useFusedConv(addon);
      }
      assert.ok(calls.length >= 1);
      assert.equal(calls.some((withDx) => withDx === 1), wrt.includes('x'), `input gradient computed for [${wrt}]: ${calls}`);
      const want = await onStockCpu(() => forwardBackward(layer, x, r, wrt));
      got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, 1e-4, `d${wrt[i]} of [${wrt}]`));
    }
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    tf.dispose([x, r]);
    disposeWeights(layer);
  });

  test('second-order gradients (a gradient differentiated again) match tfjs', async () => {
    const x = randomTensor([2, 6, 5, 2], 50), w = randomTensor([3, 3, 2, 4], 51), b = randomTensor([4], 52);
    // d/dx of |d(Σ y²)/dx|² with y = tanh(conv(x, W) + b): the conv gradient is recorded on a tape.
    const secondOrder = (conv: (input: tf.Tensor4D) => tf.Tensor) => tf.tidy(() => {
      const outer = tf.grad((input: tf.Tensor) => {
        const dx = tf.grad((inner: tf.Tensor) => tf.sum(tf.square(conv(inner as tf.Tensor4D))))(input);
        return tf.sum(tf.square(dx));
      });
      return Float32Array.from(outer(x).dataSync() as Float32Array);
    });
    const before = tf.memory().numTensors;
    const got = secondOrder((input) => fusedConv2d(input, w as tf.Tensor4D, b as tf.Tensor1D, [1, 1], 'valid', CONV_ACTIVATIONS['tanh']!));
    const want = await onStockCpu(() => secondOrder((input) => tf.tanh(tf.add(tf.conv2d(input, w as tf.Tensor4D, 1, 'valid'), b))));
    assert.ok(got.some((v) => v !== 0), 'a non-trivial second-order gradient');
    assertClose(got, want, 1e-4, 'second order');
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    tf.dispose([x, w, b]);
  });

  test('layers it does not fuse keep tfjs path: dilation 2, elu, channels first, conv1d, int input', () => {
    const before = tf.memory().numTensors;
    const dilated = tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2 });
    const elu = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'elu' });
    const x = randomTensor([1, 7, 7, 2], 60);
    for (const layer of [dilated, elu]) {
      const ran = kernelsRun(() => tf.dispose(layer.apply(x) as tf.Tensor));
      assert.ok(!ran.includes(FUSED_CONV_KERNEL), `not fused: ${ran.join(', ')}`);
      disposeWeights(layer);
    }
    const conv1d = tf.layers.conv1d({ filters: 2, kernelSize: 3 });
    const x1 = randomTensor([1, 7, 2], 61);
    const ran = kernelsRun(() => tf.dispose(conv1d.apply(x1) as tf.Tensor));
    assert.ok(!ran.includes(FUSED_CONV_KERNEL), `conv1d not fused: ${ran.join(', ')}`);
    disposeWeights(conv1d);
    tf.dispose([x, x1]);
    assert.equal(tf.memory().numTensors, before);
  });

  test('a model trained with fused conv layers matches tfjs step for step', async () => {
    const train = () => sgdSteps(() => [
      tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 5, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ], () => randomTensor([6, 9, 9, 2], 70), () => randomTensor([6, 2], 71), 0.05);
    const got = train();
    const want = await onStockCpu(train);
    assertClose(Float32Array.from(got.losses), Float32Array.from(want.losses), 1e-5, 'losses');
    got.weights.forEach((w, i) => assertClose(Float32Array.from(w), Float32Array.from(want.weights[i]!), 1e-4, `weights ${i}`));
  });
});
