import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { BINARY_OPS, UNARY_OPS } from '../../src/backend/native/kernels/elementwise.js';
import { compareKernel, installNative, randomTensor, skipNative } from './helpers.js';

const positiveOnly = new Set(['Log', 'Sqrt', 'Rsqrt']);

describe('native element-wise kernels and reductions vs stock cpu', { skip: skipNative }, () => {
  before(installNative);

  for (const name of Object.keys(UNARY_OPS)) {
    test(`${name} on odd shapes, special values and empty tensors`, async () => {
      const [lo, hi] = positiveOnly.has(name) ? [0.01, 5] : [-5, 5];
      const attrs = name === 'Step' ? { alpha: 0.25 } : {};
      await compareKernel(name, () => ({ x: randomTensor([37, 13], 3, lo, hi) }), attrs, name);
      await compareKernel(name, () => ({ x: randomTensor([300, 257], 4, lo, hi) }), attrs, `${name} large`);
      await compareKernel(name, () => ({ x: tf.tensor([NaN, 0, -0, Infinity, -Infinity, 1e-30]) }), attrs, `${name} special`);
      await compareKernel(name, () => ({ x: tf.zeros([0, 3]) }), attrs, `${name} empty`);
    });
  }

  const shapePairs: Array<[number[], number[]]> = [
    [[5, 7], [5, 7]], [[5, 7], [7]], [[7], [5, 7]], [[5, 7], [5, 1]], [[5, 7], []], [[], [3]],
    [[2, 3, 4], [3, 1]], [[2, 1, 4], [1, 3, 1]], [[1], [4, 5]], [[256, 300], [300]],
    [[3, 4, 5, 6], [4, 1, 6]], [[0, 3], [3]], [[2, 0], [2, 1]],
  ];
  for (const name of Object.keys(BINARY_OPS)) {
    test(`${name} with broadcasting`, async () => {
      let seed = 1;
      for (const [a, b] of shapePairs) {
        const s = seed++;
        await compareKernel(name, () => ({
          a: randomTensor(a, s, -3, 3),
          b: name === 'RealDiv' ? randomTensor(b, s + 50, 0.5, 3) : randomTensor(b, s + 50, -3, 3),
        }), {}, `${name} [${a}] [${b}]`);
      }
    });
  }

  test('int32 Add falls back to the original kernel', async () => {
    await compareKernel('Add', () => ({ a: tf.tensor([1, 2, 3], [3], 'int32'), b: tf.tensor([4], [1], 'int32') }),
      {}, 'int32 add', 1e-5, 'fallback');
  });

  const reductions: Array<[number[], number | number[], boolean]> = [
    [[7, 9], 0, false], [[7, 9], 1, false], [[7, 9], [0, 1], false], [[7, 9], -1, true],
    [[3, 4, 5], 1, false], [[3, 4, 5], [0, 2], true], [[3, 4, 5, 2], [1, 3], false], [[256, 300], 0, false],
    [[5, 1, 3], 1, false], [[4], 0, false], [[0, 3], 0, false], [[3, 0], 1, false], [[2, 3], [], false],
  ];
  for (const [shape, axis, keepDims] of reductions) {
    test(`Sum and Max over axis ${JSON.stringify(axis)} of [${shape}] keepDims=${keepDims}`, async () => {
      await compareKernel('Sum', () => ({ x: randomTensor(shape, 9) }), { axis, keepDims }, 'sum');
      if (!shape.includes(0)) {
        await compareKernel('Max', () => ({ x: randomTensor(shape, 9) }), { reductionIndices: axis, keepDims }, 'max');
      }
    });
  }

  test('Max propagates NaN like stock cpu', async () => {
    await compareKernel('Max', () => ({ x: tf.tensor([[1, NaN, 3], [4, 5, 6]]) }), { reductionIndices: [1], keepDims: false }, 'row');
    await compareKernel('Max', () => ({ x: tf.tensor([[1, NaN, 3], [4, 5, 6]]) }), { reductionIndices: [0], keepDims: false }, 'column');
  });

  test('Softmax over the last dim', async () => {
    for (const [shape, seed] of [[[7, 10], 1], [[3, 4, 5], 2], [[1, 1], 3], [[256, 3], 4]] as const) {
      await compareKernel('Softmax', () => ({ logits: randomTensor([...shape], seed, -8, 8) }), { dim: -1 }, `softmax [${shape}]`);
    }
  });

  test('AddN of 1, 2 and 5 tensors', async () => {
    for (const count of [1, 2, 5]) {
      await compareKernel('AddN', () => {
        // The engine passes AddN its inputs as an array, as tf.addN does.
        const inputs: tf.Tensor[] = [];
        for (let i = 0; i < count; i++) inputs.push(randomTensor([33, 65], i + 1));
        return inputs as unknown as Record<string, tf.Tensor>;
      }, {}, `addN ${count}`);
    }
  });

  test('a composed expression leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const x = randomTensor([8, 5], 1);
    const y = tf.tidy(() => tf.softmax(tf.relu(x.mul(2).add(tf.ones([5])))).sum(1));
    assert.deepEqual(y.shape, [8]);
    tf.dispose([x, y]);
    assert.equal(tf.memory().numTensors, before);
  });
});
