import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, assertSameOnCpuAndWasm, rng, useWasm, values } from './helpers.js';

before(useWasm);

describe('Sum on wasm equals cpu', () => {
  const cases: [number[], number | number[] | undefined, boolean][] = [
    [[7, 5, 3, 2], [0, 1, 2], false], // bias gradient of a conv
    [[9, 13], 0, false], // bias gradient of a dense layer
    [[4, 6, 5], [1, 0], true], // unsorted axes, keepDims
    [[3, 4, 5], [0], true],
    [[1, 8, 3], [0, 1], false], // batch 1
    [[3, 4, 5], [1, 2], false], // not leading: stock kernel
    [[3, 4, 5], undefined, false], // everything: stock kernel
    [[6, 7], -1, true],
  ];
  for (const [i, [shape, axis, keepDims]] of cases.entries()) {
    test(`sum of ${shape.join('x')} over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}`, async () => {
      const x = values(rng(10 + i), shape.reduce((a, b) => a * b, 1));
      await assertSameOnCpuAndWasm('sum', () => tf.sum(tf.tensor(x, shape), axis, keepDims));
    });
  }

  test('int32 sums go to the stock kernel', async () => {
    await assertSameOnCpuAndWasm('int sum', () => tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0).cast('float32'));
  });
});

describe('Identity on wasm shares the buffer', () => {
  test('a clone keeps its values after the original is disposed, and neither leaks', async () => {
    await useWasm();
    assertNoLeak('clone', () => {
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const y = tf.clone(x);
      x.dispose();
      assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3, 4]);
      y.dispose();
    });
  });

  test('a variable assigned after a clone leaves the clone unchanged', async () => {
    await useWasm();
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
    tf.dispose([v, snapshot]);
  });

  test('gradients that save inputs through Identity still equal cpu', async () => {
    const x = values(rng(99), 5 * 4);
    await assertSameOnCpuAndWasm('grad through exp and square', () =>
      tf.grad((a: tf.Tensor) => tf.exp(a).square().sum())(tf.tensor2d(x, [5, 4])),
    );
  });
});
