import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, assertSameOnCpuAndWasm, rng, useWasm, values } from './helpers.js';

before(useWasm);

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

describe('forward convolutions with numeric or explicit padding on wasm equal cpu', () => {
  // Non-square filters and unequal strides: tfjs and XNNPACK size these outputs differently.
  const cases: [Shape4, Shape4, [number, number], Pad][] = [
    [[3, 10, 9, 3], [5, 2, 3, 2], [3, 3], 2],
    [[2, 7, 11, 2], [2, 5, 2, 3], [1, 1], 1],
    [[1, 9, 8, 1], [3, 4, 1, 2], [2, 3], 1],
    [[2, 8, 9, 2], [3, 2, 2, 4], [2, 1], [[0, 0], [2, 0], [1, 3], [0, 0]]],
  ];
  for (const [i, [xShape, filterShape, strides, pad]] of cases.entries()) {
    const name = `x ${xShape.join('x')} filter ${filterShape.join('x')} strides ${strides} pad ${JSON.stringify(pad)}`;
    const x = values(rng(10 + i), size(xShape));
    const w = values(rng(20 + i), size(filterShape));
    const bias = values(rng(30 + i), filterShape[3]);
    test(`conv2d, fused conv2d and conv2d gradients: ${name}`, async () => {
      await assertSameOnCpuAndWasm('conv2d', () => tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(w, filterShape), strides, pad));
      await assertSameOnCpuAndWasm('fused conv2d', () =>
        tf.fused.conv2d({
          x: tf.tensor4d(x, xShape),
          filter: tf.tensor4d(w, filterShape),
          strides,
          pad,
          bias: tf.tensor1d(bias),
          activation: 'relu',
        }),
      );
      await assertSameOnCpuAndWasm('grads of conv2d', () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad).square().sum())([
          tf.tensor4d(x, xShape),
          tf.tensor4d(w, filterShape),
        ]),
      );
    });
    if (typeof pad === 'object') continue; // depthwiseConv2d takes 'same' | 'valid' | number
    test(`depthwise conv2d and its gradients: ${name}`, async () => {
      const dwShape: Shape4 = [filterShape[0], filterShape[1], xShape[3], 2];
      const dw = values(rng(40 + i), size(dwShape));
      await assertSameOnCpuAndWasm('depthwiseConv2d', () =>
        tf.depthwiseConv2d(tf.tensor4d(x, xShape), tf.tensor4d(dw, dwShape), strides, pad),
      );
      if (strides[0] !== strides[1]) return; // tfjs's depthwise gradient wants equal strides
      await assertSameOnCpuAndWasm('grads of depthwiseConv2d', () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad).square().sum())([
          tf.tensor4d(x, xShape),
          tf.tensor4d(dw, dwShape),
        ]),
      );
    });
  }
});

describe('depthwise conv2d gradients on wasm (missing in stock wasm) equal cpu', () => {
  const cases: [Shape4, Shape4, number, 'same' | 'valid' | number][] = [
    [[1, 7, 7, 3], [3, 3, 3, 1], 1, 'same'],
    [[2, 9, 8, 4], [3, 3, 4, 2], 2, 'same'],
    [[2, 10, 11, 2], [5, 3, 2, 3], 3, 'valid'],
    [[3, 6, 6, 5], [2, 2, 5, 1], 2, 1],
  ];
  for (const [i, [xShape, filterShape, strides, pad]] of cases.entries()) {
    test(`x ${xShape.join('x')} filter ${filterShape.join('x')} strides ${strides} pad ${pad}`, async () => {
      const x = values(rng(50 + i), size(xShape));
      const w = values(rng(60 + i), size(filterShape));
      await assertSameOnCpuAndWasm('grads of depthwiseConv2d', () => {
        const xT = tf.tensor4d(x, xShape);
        const wT = tf.tensor4d(w, filterShape);
        const y = tf.depthwiseConv2d(xT, wT, strides, pad);
        const dy = tf.tensor(values(rng(70 + i), y.size), y.shape);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad).mul(dy).sum())([xT, wT]);
      });
    });
  }

  test('depthwise and padded convolutions leak no tensors or wasm buffers', async () => {
    await useWasm();
    const x = tf.tensor4d(values(rng(80), 2 * 9 * 8 * 3), [2, 9, 8, 3]);
    const w = tf.tensor4d(values(rng(81), 3 * 2 * 3 * 2), [3, 2, 3, 2]);
    assertNoLeak('depthwise grads, numeric-padded conv', () => {
      tf.tidy(() => {
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w]);
        tf.conv2d(x, w, 3, 2);
        tf.conv2d(x, w, [2, 1], [[0, 0], [0, 0], [1, 0], [0, 0]]);
        tf.maxPool(x, [5, 2], 3, 2);
      });
    });
    tf.dispose([x, w]);
  });
});
