import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { compareKernel, installNative, randomTensor, skipNative } from './helpers.js';

describe('native layout kernels and Mean vs stock cpu', { skip: skipNative }, () => {
  before(installNative);

  test('Unpack along every axis, odd sizes, a single slice and empty tensors', async () => {
    const cases: Array<[number[], number]> = [
      [[5], 0], [[3, 7], 0], [[3, 7], 1], [[3, 7], -1], [[2, 3, 4, 5], 0], [[2, 3, 4, 5], 1], [[2, 3, 4, 5], 2],
      [[2, 3, 4, 5], 3], [[256, 8, 16], 1], [[1, 9], 0], [[4, 0, 3], 0], [[4, 0, 3], 2],
    ];
    let seed = 1;
    for (const [shape, axis] of cases) {
      const s = seed++;
      await compareKernel('Unpack', () => ({ value: randomTensor(shape, s) }), { axis }, `Unpack [${shape}] axis ${axis}`);
    }
  });

  test('Pack (tf.stack) along every axis: one input, odd sizes, empty tensors', async () => {
    const cases: Array<[number[], number, number]> = [
      [[5], 3, 0], [[5], 3, 1], [[3, 7], 2, 0], [[3, 7], 4, 1], [[3, 7], 4, 2], [[3, 7], 2, -1], [[1024, 64], 8, 1],
      [[2, 3, 4], 1, 1], [[4, 0, 3], 3, 1], [[], 5, 0],
    ];
    let seed = 60;
    for (const [shape, count, axis] of cases) {
      const s = seed;
      seed += count;
      await compareKernel('Pack', () => Array.from({ length: count }, (_, k) => randomTensor(shape, s + k)) as unknown as Record<string, tf.Tensor>,
        { axis }, `Pack ${count} × [${shape}] axis ${axis}`);
    }
  });

  test('Concat along every axis: unequal widths, a zero-width input, one input', async () => {
    const cases: Array<[number[][], number]> = [
      [[[3], [5]], 0], [[[2, 3], [4, 3]], 0], [[[2, 3], [2, 5], [2, 1]], 1], [[[2, 3], [2, 0], [2, 2]], -1],
      [[[2, 3, 4, 5], [2, 3, 6, 5]], 2], [[[4, 4, 20], [4, 4, 20]], 2], [[[7, 9]], 1], [[[256, 50], [256, 50]], 1],
    ];
    let seed = 100;
    for (const [shapes, axis] of cases) {
      const s = seed;
      seed += shapes.length;
      await compareKernel('Concat', () => shapes.map((shape, k) => randomTensor(shape, s + k)) as unknown as Record<string, tf.Tensor>,
        { axis }, `Concat [${shapes.map((x) => `[${x}]`)}] axis ${axis}`);
    }
  });

  test('SplitV by a count and by sizes (with −1) along every axis', async () => {
    const cases: Array<[number[], number | number[], number]> = [
      [[6], 3, 0], [[4, 6], 2, 1], [[4, 6], [1, -1, 2], 1], [[5, 7, 3], [2, 3], 0], [[5, 7, 3], [4, 3], 1],
      [[2, 3, 4, 10], [3, 7], 3], [[2, 3, 4, 10], [3, 0, 7], -1], [[256, 20], [10, 10], 1],
    ];
    let seed = 20;
    for (const [shape, numOrSizeSplits, axis] of cases) {
      const s = seed++;
      await compareKernel('SplitV', () => ({ x: randomTensor(shape, s) }), { numOrSizeSplits, axis }, `SplitV [${shape}] ${JSON.stringify(numOrSizeSplits)} axis ${axis}`);
    }
  });

  test('Tile with repeats on every axis, ones, zeros and a batch-norm broadcast', async () => {
    const cases: Array<[number[], number[]]> = [
      [[3], [4]], [[2, 3], [1, 1]], [[2, 3], [3, 1]], [[2, 3], [1, 5]], [[2, 3], [4, 3]], [[2, 1, 3], [2, 7, 1]],
      [[1, 1, 1, 10], [256, 12, 12, 1]], [[2, 3, 4, 5], [2, 1, 3, 2]], [[2, 3], [0, 2]], [[0, 3], [2, 2]],
    ];
    let seed = 40;
    for (const [shape, reps] of cases) {
      const s = seed++;
      await compareKernel('Tile', () => ({ x: randomTensor(shape, s) }), { reps }, `Tile [${shape}] × [${reps}]`);
    }
  });

  test('Mean over any axes, with and without keepDims, and empty reductions', async () => {
    const cases: Array<[number[], number | number[], boolean]> = [
      [[7], 0, false], [[5, 9], 1, false], [[5, 9], 0, true], [[5, 9], [0, 1], false], [[256, 12, 12, 10], [0, 1, 2], true],
      [[3, 4, 5], [0, 2], false], [[3, 4, 5], -1, true], [[2, 0, 3], 1, false], [[2, 0, 3], 2, false],
    ];
    let seed = 60;
    for (const [shape, axis, keepDims] of cases) {
      const s = seed++;
      await compareKernel('Mean', () => ({ x: randomTensor(shape, s, -3, 3) }), { axis, keepDims }, `Mean [${shape}] axis ${JSON.stringify(axis)}${keepDims ? ' keepDims' : ''}`);
    }
  });

  test('int32 inputs fall back to the stock kernels', async () => {
    await compareKernel('Tile', () => ({ x: tf.tensor([1, 2, 3], [3], 'int32') }), { reps: [2] }, 'Tile int32', 1e-5, 'fallback');
    await compareKernel('Mean', () => ({ x: tf.tensor([1, 2, 4], [3], 'int32') }), { axis: 0, keepDims: false }, 'Mean int32', 1e-5, 'fallback');
  });
});
