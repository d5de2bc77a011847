import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { compareKernel, installNative, randomTensor, runKernel, skipNative } from './helpers.js';

describe('native BatchMatMul / _FusedMatMul vs stock cpu', { skip: skipNative }, () => {
  before(installNative);

  const sizes: Array<[number, number, number]> = [
    [1, 1, 1], [3, 5, 7], [17, 33, 9], [64, 31, 48], [2, 1, 130],
    // Large enough to be split across threads by rows, and by columns.
    [301, 203, 157], [9, 211, 601],
  ];
  let seed = 1;
  for (const [m, k, n] of sizes) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        test(`${m}x${k}x${n} transposeA=${transposeA} transposeB=${transposeB}`, async () => {
          const s = seed++;
          await compareKernel('BatchMatMul', () => ({
            a: randomTensor(transposeA ? [k, m] : [m, k], s),
            b: randomTensor(transposeB ? [n, k] : [k, n], s + 100),
          }), { transposeA, transposeB }, 'matmul');
        });
      }
    }
  }

  const batched: Array<{ a: number[]; b: number[]; transposeA?: boolean; transposeB?: boolean }> = [
    { a: [4, 5, 6], b: [4, 6, 3] },
    { a: [4, 5, 6], b: [6, 3] },
    { a: [4, 5, 6], b: [1, 6, 3] },
    { a: [1, 5, 6], b: [3, 6, 7] },
    { a: [2, 3, 5, 6], b: [2, 3, 7, 6], transposeB: true },
    { a: [3, 6, 5], b: [6, 2], transposeA: true },
    { a: [1, 1, 4], b: [1, 4, 1] },
    { a: [600, 20, 21], b: [600, 21, 19] },
    { a: [3, 300, 200], b: [3, 200, 100], transposeA: false, transposeB: false },
  ];
  for (const c of batched) {
    test(`batched a=[${c.a}] b=[${c.b}] tA=${!!c.transposeA} tB=${!!c.transposeB}`, async () => {
      await compareKernel('BatchMatMul', () => ({ a: randomTensor(c.a, 7), b: randomTensor(c.b, 8) }),
        { transposeA: !!c.transposeA, transposeB: !!c.transposeB }, 'batched matmul');
    });
  }

  test('empty tensors: m = 0, k = 0, batch = 0', async () => {
    await compareKernel('BatchMatMul', () => ({ a: randomTensor([0, 4], 1), b: randomTensor([4, 3], 2) }),
      { transposeA: false, transposeB: false }, 'm=0');
    await compareKernel('BatchMatMul', () => ({ a: randomTensor([3, 0], 1), b: randomTensor([0, 5], 2) }),
      { transposeA: false, transposeB: false }, 'k=0');
    await compareKernel('BatchMatMul', () => ({ a: randomTensor([0, 3, 4], 1), b: randomTensor([0, 4, 2], 2) }),
      { transposeA: false, transposeB: false }, 'batch=0');
    // Stock cpu returns 6 values for this [0, 3, 2] result (it takes max(0, 1) batches);
    // the native kernel returns the empty tensor the shape promises.
    const a = randomTensor([0, 3, 4], 1), b = randomTensor([4, 2], 2);
    const got = runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
    tf.dispose([a, b]);
    assert.deepEqual(got.shape, [0, 3, 2]);
    assert.equal(got.values.length, 0);
  });

  for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid']) {
    for (const [biasShape, label] of [[[9], 'per column'], [[1], 'scalar'], [[1, 9], 'row'], [null, 'none']] as const) {
      test(`_FusedMatMul activation=${activation} bias ${label}`, async () => {
        await compareKernel('_FusedMatMul', () => {
          const inputs: Record<string, ReturnType<typeof randomTensor>> = {
            a: randomTensor([13, 11], 3, -4, 4),
            b: randomTensor([9, 11], 4),
          };
          if (biasShape) inputs['bias'] = randomTensor([...biasShape], 5);
          return inputs;
        }, { transposeA: false, transposeB: true, activation, leakyreluAlpha: 0.3 }, `fused ${activation}`);
      });
    }
  }

  test('_FusedMatMul batched with transposeA and bias', async () => {
    await compareKernel('_FusedMatMul', () => ({
      a: randomTensor([3, 7, 5], 11), b: randomTensor([7, 4], 12), bias: randomTensor([4], 13),
    }), { transposeA: true, transposeB: false, activation: 'relu', leakyreluAlpha: 0.2 }, 'fused batched');
  });

  test('_FusedMatMul falls back to the original kernel for elu and for a full-matrix bias', async () => {
    await compareKernel('_FusedMatMul', () => ({ a: randomTensor([5, 6], 1), b: randomTensor([6, 4], 2) }),
      { transposeA: false, transposeB: false, activation: 'elu', leakyreluAlpha: 0.2 }, 'elu', 1e-5, 'fallback');
    await compareKernel('_FusedMatMul', () => ({
      a: randomTensor([5, 6], 1), b: randomTensor([6, 4], 2), bias: randomTensor([5, 4], 3),
    }), { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0.2 }, 'matrix bias', 1e-5, 'fallback');
  });
});
