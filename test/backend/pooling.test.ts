import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, assertSameOnCpuAndWasm, between, rng, useWasm, values } from './helpers.js';

before(useWasm);

type Pad = 'same' | 'valid' | number;
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Pooling configurations: odd sizes, batch 1, overlapping windows, strides 1/2/3, every padding kind. */
function cases(seed: number) {
  const random = rng(seed);
  const list: { xShape: [number, number, number, number]; filter: [number, number]; strides: [number, number]; pad: Pad }[] = [];
  const pads: Pad[] = ['same', 'valid', 1, 'same', 'valid', 0];
  for (let i = 0; i < 12; i++) {
    const k = between(random, 1, 3);
    const s = between(random, 1, 3);
    const listed = pads[i % pads.length]!;
    const pad = typeof listed === 'number' ? Math.min(listed, k - 1) : listed; // a window never all padding
    // Numeric padding: square windows and equal strides (tfjs sizes numeric padding from the height only).
    const filter: [number, number] = typeof pad === 'number' ? [k, k] : [k, between(random, 1, 3)];
    const strides: [number, number] = typeof pad === 'number' ? [s, s] : [s, between(random, 1, 3)];
    list.push({
      xShape: [i % 4 === 0 ? 1 : between(random, 2, 3), between(random, 3, 11), between(random, 3, 11), between(random, 1, 5)],
      filter,
      strides,
      pad,
    });
  }
  return list;
}

describe('MaxPoolGrad on wasm equals cpu (first maximum wins ties)', () => {
  for (const [i, c] of cases(31).entries()) {
    for (const integers of [false, true]) {
      test(`x ${c.xShape.join('x')} window ${c.filter} strides ${c.strides} pad ${c.pad}${integers ? ' (ties)' : ''}`, async () => {
        const x = values(rng(100 + i), size(c.xShape), integers);
        await assertSameOnCpuAndWasm('grad of maxPool', () => {
          const xT = tf.tensor4d(x, c.xShape);
          const y = tf.maxPool(xT, c.filter, c.strides, c.pad);
          const dy = tf.tensor(values(rng(200 + i), y.size), y.shape);
          return tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.filter, c.strides, c.pad).mul(dy).sum())(xT);
        });
      });
    }
  }
});

describe('AvgPool and its gradient on wasm equal cpu', () => {
  for (const [i, c] of cases(32).entries()) {
    test(`x ${c.xShape.join('x')} window ${c.filter} strides ${c.strides} pad ${c.pad}`, async () => {
      const x = values(rng(300 + i), size(c.xShape));
      await assertSameOnCpuAndWasm('avgPool and its grad', () => {
        const xT = tf.tensor4d(x, c.xShape);
        const y = tf.avgPool(xT, c.filter, c.strides, c.pad);
        const dy = tf.tensor(values(rng(400 + i), y.size), y.shape);
        return [y, tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, c.filter, c.strides, c.pad).mul(dy).sum())(xT)];
      });
    });
  }
});

test('maxPool and avgPool with numeric padding and a non-square window match cpu and keep the wasm heap intact', async () => {
  // tfjs sizes numeric padding from the window height: for a 5x2 window, strides 3, pad 2 on
  // width 9 it expects 3 columns where XNNPACK writes 4 (stock wasm overruns the buffer), and
  // column 0 covers padding only (-Infinity / NaN on cpu), so compare columns 1 and 2.
  const x = values(rng(500), 2 * 10 * 9 * 3);
  for (const pool of ['maxPool', 'avgPool'] as const) {
    await assertSameOnCpuAndWasm(`${pool} 5x2, strides 3, pad 2`, () =>
      tf[pool](tf.tensor4d(x, [2, 10, 9, 3]), [5, 2], 3, 2).slice([0, 0, 1, 0], [-1, -1, 2, -1]),
    );
    // For a 2x5 window, strides 1, pad 1, tfjs expects 10 columns where XNNPACK writes 7.
    await assertSameOnCpuAndWasm(`${pool} 2x5, strides 1, pad 1`, () => tf[pool](tf.tensor4d(x, [2, 10, 9, 3]), [2, 5], 1, 1));
  }
  await assertSameOnCpuAndWasm('a kernel after them still works', () => tf.tensor1d([1, 2, 3]).mul(2));
});

test('pooling gradients leak no tensors or wasm buffers', async () => {
  await useWasm();
  const x = tf.tensor4d(values(rng(600), 2 * 7 * 6 * 3), [2, 7, 6, 3]);
  for (const pad of ['same', 'valid', 1] as const) {
    assertNoLeak(`pad ${pad}`, () => {
      tf.tidy(() => {
        tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 3, 2, pad).sum())(x);
        tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, 3, 2, pad).sum())(x);
      });
    });
  }
  x.dispose();
});
