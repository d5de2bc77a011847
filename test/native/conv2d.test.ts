import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { assertClose, compareKernel, installNative, onStockCpu, randomTensor, skipNative } from './helpers.js';

type Pad = 'same' | 'valid' | number[][];

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
}

// Odd sizes, strides 1-3, same/valid/explicit padding, batch 1, 1x1 filters, filters
// larger than the stride, non-square everything.
const cases: ConvCase[] = [
  { x: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'valid' },
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { x: [3, 11, 8, 2], filter: [5, 3, 2, 4], strides: 2, pad: 'same' },
  { x: [1, 13, 13, 4], filter: [3, 5, 4, 6], strides: 3, pad: 'valid' },
  { x: [2, 10, 7, 3], filter: [2, 2, 3, 7], strides: [2, 3], pad: 'same' },
  { x: [2, 9, 9, 5], filter: [1, 1, 5, 3], strides: 1, pad: 'valid' },
  { x: [1, 8, 8, 2], filter: [1, 1, 2, 3], strides: 2, pad: 'valid' },
  { x: [2, 9, 6, 3], filter: [3, 2, 3, 4], strides: [1, 2], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [1, 6, 6, 1], filter: [5, 5, 1, 10], strides: 1, pad: 'valid' },
  { x: [2, 12, 12, 10], filter: [5, 5, 10, 20], strides: 1, pad: 'valid' },
  { x: [1, 7, 7, 3], filter: [7, 7, 3, 2], strides: 3, pad: 'same' },
  // Large enough for several row blocks per thread (the blocked/threaded paths).
  { x: [16, 28, 28, 1], filter: [5, 5, 1, 10], strides: 1, pad: 'valid' },
  { x: [8, 20, 20, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'same' },
  { x: [4, 30, 30, 8], filter: [1, 1, 8, 16], strides: 1, pad: 'valid' },
];

const describeCase = (c: ConvCase) =>
  `x=[${c.x}] filter=[${c.filter}] strides=${JSON.stringify(c.strides)} pad=${JSON.stringify(c.pad)}` +
  (c.dilations ? ` dilations=${JSON.stringify(c.dilations)}` : '');

function outShape(c: ConvCase): number[] {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations ?? 1,
    c.pad as 'same', undefined, false, 'channelsLast').outShape;
}

describe('native Conv2D / FusedConv2D / Conv2DBackpropInput / Conv2DBackpropFilter vs stock cpu', { skip: skipNative }, () => {
  before(installNative);

  const forward = [...cases,
    { x: [1, 9, 9, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'same', dilations: 2 },
    { x: [2, 11, 10, 1], filter: [2, 3, 1, 2], strides: 1, pad: 'valid', dilations: [2, 3] },
  ] as ConvCase[];
  forward.forEach((c, i) => {
    test(`Conv2D ${describeCase(c)}`, async () => {
      await compareKernel('Conv2D', () => ({ x: randomTensor(c.x, 10 + i), filter: randomTensor(c.filter, 50 + i) }),
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations ?? 1 }, 'conv2d');
    });
  });

  cases.forEach((c, i) => {
    test(`FusedConv2D bias + relu ${describeCase(c)}`, async () => {
      await compareKernel('FusedConv2D', () => ({
        x: randomTensor(c.x, 10 + i), filter: randomTensor(c.filter, 50 + i), bias: randomTensor([c.filter[3]], 90 + i),
      }), { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1, activation: 'relu', leakyreluAlpha: 0.2 },
      'fused conv2d');
    });

    test(`Conv2DBackpropInput ${describeCase(c)}`, async () => {
      await compareKernel('Conv2DBackpropInput', () => ({
        dy: randomTensor(outShape(c), 20 + i), filter: randomTensor(c.filter, 60 + i),
      }), { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }, 'conv2d backprop input');
    });

    test(`Conv2DBackpropFilter ${describeCase(c)}`, async () => {
      await compareKernel('Conv2DBackpropFilter', () => ({
        x: randomTensor(c.x, 30 + i), dy: randomTensor(outShape(c), 70 + i),
      }), { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter }, 'conv2d backprop filter');
    });
  });

  test('Conv2DBackpropFilter with one row block (one part, the GEMM split across threads)', async () => {
    const c: ConvCase = { x: [1, 3, 3, 32], filter: [3, 3, 32, 128], strides: 1, pad: 'same' };
    await compareKernel('Conv2DBackpropFilter', () => ({ x: randomTensor(c.x, 1), dy: randomTensor(outShape(c), 2) }),
      { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: c.filter }, 'one block');
  });

  test('FusedConv2D whose activation runs inside a pool task (nested parallel loop)', async () => {
    await compareKernel('FusedConv2D', () => ({
      x: randomTensor([2, 64, 64, 4], 1), filter: randomTensor([1, 1, 4, 32], 2), bias: randomTensor([32], 3),
    }), { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, activation: 'relu', leakyreluAlpha: 0.2 }, 'nested');
  });

  test('FusedConv2D with scalar bias and linear / leakyrelu / sigmoid activations', async () => {
    for (const activation of ['linear', 'leakyrelu', 'sigmoid']) {
      await compareKernel('FusedConv2D', () => ({
        x: randomTensor([2, 6, 5, 3], 1), filter: randomTensor([3, 3, 3, 4], 2), bias: randomTensor([1], 3),
      }), { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation, leakyreluAlpha: 0.1 }, activation);
    }
  });

  test('empty batch: forward and both gradients', async () => {
    const c: ConvCase = { x: [0, 6, 6, 2], filter: [3, 3, 2, 4], strides: 1, pad: 'same' };
    await compareKernel('Conv2D', () => ({ x: randomTensor(c.x, 1), filter: randomTensor(c.filter, 2) }),
      { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 }, 'conv2d empty');
    await compareKernel('Conv2DBackpropInput', () => ({ dy: randomTensor(outShape(c), 1), filter: randomTensor(c.filter, 2) }),
      { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: c.x }, 'backprop input empty');
    await compareKernel('Conv2DBackpropFilter', () => ({ x: randomTensor(c.x, 1), dy: randomTensor(outShape(c), 2) }),
      { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: c.filter }, 'backprop filter empty (zeros)');
  });

  test('NCHW falls back to the original kernel', async () => {
    await compareKernel('Conv2D', () => ({ x: randomTensor([1, 2, 5, 5], 1), filter: randomTensor([3, 3, 2, 2], 2) }),
      { strides: 1, pad: 'valid', dataFormat: 'NCHW', dilations: 1 }, 'nchw', 1e-5, 'fallback');
  });

  test('tf.grads of a strided conv agrees with stock cpu (runs both backprop kernels)', async () => {
    const before = tf.memory().numTensors;
    const x = randomTensor([2, 9, 9, 3], 5);
    const w = randomTensor([3, 3, 3, 4], 6);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').square().sum() as tf.Scalar;
    const grads = () => tf.tidy(() => tf.grads(f)([x, w]).map((g) => Float32Array.from(g.dataSync() as Float32Array)));
    const want = await onStockCpu(grads);
    const got = grads();
    tf.dispose([x, w]);
    assertClose(got[0]!, want[0]!, 1e-5, 'dx');
    assertClose(got[1]!, want[1]!, 1e-5, 'dw');
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  });
});
