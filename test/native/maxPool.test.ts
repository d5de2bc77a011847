import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { compareKernel, installNative, randomTensor, skipNative } from './helpers.js';

interface PoolCase {
  x: [number, number, number, number];
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
}

const cases: PoolCase[] = [
  { x: [1, 4, 4, 1], filterSize: 2, strides: 2, pad: 'valid' },
  { x: [2, 7, 9, 3], filterSize: 3, strides: 2, pad: 'same' },
  { x: [3, 11, 8, 5], filterSize: [2, 3], strides: [1, 2], pad: 'valid' },
  { x: [1, 13, 13, 2], filterSize: 3, strides: 3, pad: 'same' },
  { x: [2, 9, 9, 70], filterSize: 3, strides: 1, pad: 'same' },
  { x: [2, 24, 24, 10], filterSize: 2, strides: 2, pad: 'valid' },
  { x: [1, 5, 5, 2], filterSize: 1, strides: 1, pad: 'valid' },
  { x: [2, 6, 7, 3], filterSize: 3, strides: 2, pad: 1 },
];

const label = (c: PoolCase) =>
  `x=[${c.x}] filter=${JSON.stringify(c.filterSize)} strides=${JSON.stringify(c.strides)} pad=${c.pad}`;

function outShape(c: PoolCase): number[] {
  return tf.backend_util.computePool2DInfo(c.x, c.filterSize, c.strides, 1, c.pad).outShape;
}

describe('native MaxPool / MaxPoolGrad vs stock cpu', { skip: skipNative }, () => {
  before(installNative);

  cases.forEach((c, i) => {
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    test(`MaxPool ${label(c)}`, async () => {
      await compareKernel('MaxPool', () => ({ x: randomTensor(c.x, 10 + i) }), attrs, 'maxPool');
    });
    test(`MaxPoolGrad ${label(c)}`, async () => {
      await compareKernel('MaxPoolGrad', () => {
        const input = randomTensor(c.x, 10 + i);
        return { dy: randomTensor(outShape(c), 40 + i), input, output: tf.maxPool(input as tf.Tensor4D, c.filterSize, c.strides, c.pad) };
      }, attrs, 'maxPoolGrad');
    });
    test(`MaxPoolGrad with ties (small integers) ${label(c)}`, async () => {
      await compareKernel('MaxPoolGrad', () => {
        const input = tf.tidy(() => randomTensor(c.x, 10 + i, 0, 3).floor());
        return { dy: randomTensor(outShape(c), 40 + i), input, output: tf.maxPool(input as tf.Tensor4D, c.filterSize, c.strides, c.pad) };
      }, attrs, 'maxPoolGrad ties');
    });
  });

  test('empty batch', async () => {
    const c: PoolCase = { x: [0, 4, 4, 2], filterSize: 2, strides: 2, pad: 'valid' };
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    await compareKernel('MaxPool', () => ({ x: randomTensor(c.x, 1) }), attrs, 'maxPool empty');
    await compareKernel('MaxPoolGrad', () => {
      const input = randomTensor(c.x, 1);
      return { dy: randomTensor(outShape(c), 2), input, output: tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid') };
    }, attrs, 'maxPoolGrad empty');
  });

  test('NaN and -Infinity inputs follow the stock rules', async () => {
    const values = Float32Array.from([NaN, 1, -Infinity, 2, NaN, NaN, NaN, NaN, -Infinity, -Infinity, 3, NaN, 0, -1, 5, 5]);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    await compareKernel('MaxPool', () => ({ x: tf.tensor(values, [1, 4, 4, 1]) }), attrs, 'maxPool NaN');
    await compareKernel('MaxPoolGrad', () => {
      const input = tf.tensor(values, [1, 4, 4, 1]);
      return { dy: randomTensor([1, 2, 2, 1], 3), input, output: tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid') };
    }, attrs, 'maxPoolGrad NaN');
  });
});
