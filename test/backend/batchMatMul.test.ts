import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, assertSameOnCpuAndWasm, between, rng, useWasm, values } from './helpers.js';

before(useWasm);

/** Random matmul shapes: odd sizes, rank 2 and 3, broadcast batch, every transpose combination. */
function cases(seed: number, count: number) {
  const random = rng(seed);
  const list: { aShape: number[]; bShape: number[]; transposeA: boolean; transposeB: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const [m, k, n] = [between(random, 1, 37), between(random, 1, 41), between(random, 1, 33)];
    const transposeA = i % 2 === 1;
    const transposeB = Math.floor(i / 2) % 2 === 1;
    const batch = i % 3 === 0 ? [] : [between(random, 1, 3)];
    const bBatch = i % 5 === 4 && batch.length > 0 ? [1] : batch; // broadcast b over a's batch
    list.push({
      aShape: [...batch, ...(transposeA ? [k, m] : [m, k])],
      bShape: [...bBatch, ...(transposeB ? [n, k] : [k, n])],
      transposeA,
      transposeB,
    });
  }
  return list;
}

describe('BatchMatMul on wasm (transposes through XNNPACK)', () => {
  for (const [i, c] of cases(1, 16).entries()) {
    test(`matMul ${JSON.stringify(c.aShape)} x ${JSON.stringify(c.bShape)} tA=${c.transposeA} tB=${c.transposeB}`, async () => {
      const a = values(rng(100 + i), c.aShape.reduce((x, y) => x * y, 1));
      const b = values(rng(200 + i), c.bShape.reduce((x, y) => x * y, 1));
      await assertSameOnCpuAndWasm('matMul', () =>
        tf.matMul(tf.tensor(a, c.aShape), tf.tensor(b, c.bShape), c.transposeA, c.transposeB),
      );
    });
  }

  test('a batch of 1 and a 1-wide product', async () => {
    const a = values(rng(7), 1 * 1 * 9);
    const b = values(rng(8), 1 * 9 * 1);
    await assertSameOnCpuAndWasm('matMul 1x9 · 9x1', () =>
      tf.matMul(tf.tensor(a, [1, 9, 1]), tf.tensor(b, [1, 1, 9]), true, true),
    );
  });

  test('gradients of a dense layer (both backward products are transposed)', async () => {
    const x = values(rng(9), 13 * 7);
    const w = values(rng(10), 7 * 5);
    await assertSameOnCpuAndWasm('grads of matMul', () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b).square().sum())([tf.tensor(x, [13, 7]), tf.tensor(w, [7, 5])]),
    );
  });
});

describe('_FusedMatMul on wasm (bias + activation, transposed operands)', () => {
  for (const [i, c] of cases(2, 8).entries()) {
    if (c.aShape.length !== c.bShape.length) continue;
    test(`fused.matMul ${JSON.stringify(c.aShape)} x ${JSON.stringify(c.bShape)} tA=${c.transposeA} tB=${c.transposeB}`, async () => {
      const a = values(rng(300 + i), c.aShape.reduce((x, y) => x * y, 1));
      const b = values(rng(400 + i), c.bShape.reduce((x, y) => x * y, 1));
      const n = c.transposeB ? c.bShape.at(-2)! : c.bShape.at(-1)!;
      const bias = values(rng(500 + i), n);
      await assertSameOnCpuAndWasm('fused.matMul', () =>
        tf.fused.matMul({
          a: tf.tensor(a, c.aShape) as tf.Tensor as tf.Tensor3D,
          b: tf.tensor(b, c.bShape) as tf.Tensor as tf.Tensor3D,
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          bias: tf.tensor1d(bias),
          activation: 'relu',
        }),
      );
    });
  }
});

describe('_FusedMatMul on wasm, batched with a bias (wrong in stock tfjs 4.22 wasm)', () => {
  const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
  for (const [i, activation] of activations.entries()) {
    test(`batch 3, bias, activation ${activation}`, async () => {
      const a = values(rng(600 + i), 3 * 5 * 6);
      const b = values(rng(700 + i), 3 * 7 * 6);
      const bias = values(rng(800 + i), 7);
      const alpha = values(rng(900 + i), 7);
      await assertSameOnCpuAndWasm(`fused.matMul ${activation}`, () =>
        tf.fused.matMul({
          a: tf.tensor3d(a, [3, 5, 6]),
          b: tf.tensor3d(b, [3, 7, 6]),
          transposeB: true,
          bias: tf.tensor1d(bias),
          activation,
          preluActivationWeights: activation === 'prelu' ? tf.tensor1d(alpha) : undefined,
          leakyreluAlpha: 0.1,
        }),
      );
    });
  }
});

test('matmul kernels leak no tensors or wasm buffers', async () => {
  await useWasm();
  const a = tf.tensor(values(rng(11), 6 * 4), [6, 4]);
  const b = tf.tensor(values(rng(12), 5 * 4), [5, 4]);
  const bias = tf.tensor1d(values(rng(13), 5));
  assertNoLeak('matMul / fused.matMul with transposes', () => {
    tf.matMul(a, b, false, true).dispose();
    tf.matMul(a, a, true, false).dispose();
    tf.tidy(() => {
      tf.fused.matMul({ a: a.expandDims(0) as tf.Tensor3D, b: b.expandDims(0) as tf.Tensor3D, transposeB: true, bias });
      tf.fused.matMul({ a: tf.stack([a, a]) as tf.Tensor3D, b: tf.stack([b, b]) as tf.Tensor3D, transposeB: true, bias, activation: 'relu' });
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, false, true).sum())([a, b]);
    });
  });
  tf.dispose([a, b, bias]);
});
