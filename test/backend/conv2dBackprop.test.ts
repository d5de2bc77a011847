import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, assertSameOnCpuAndWasm, between, rng, useWasm, values } from './helpers.js';

before(useWasm);

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

/** Random conv configurations: odd sizes, batch 1, strides 1/2/3 (also mixed), every padding kind. */
function cases(seed: number): ConvCase[] {
  const random = rng(seed);
  const strides: [number, number][] = [[1, 1], [2, 2], [3, 3], [2, 3], [1, 2], [3, 1]];
  const list: ConvCase[] = [];
  for (let i = 0; i < 24; i++) {
    const pad: Pad = (['same', 'valid', 'number', 'explicit'] as const).map((kind): Pad => {
      if (kind === 'number') return between(random, 0, 2);
      if (kind === 'explicit') return [[0, 0], [between(random, 0, 3), between(random, 0, 2)], [between(random, 0, 2), between(random, 0, 3)], [0, 0]];
      return kind;
    })[i % 4]!;
    const fh = between(random, 1, 5);
    const fw = between(random, 1, 5);
    const h = between(random, fh, fh + 9);
    const w = between(random, fw, fw + 9);
    list.push({
      xShape: [i % 3 === 0 ? 1 : between(random, 2, 3), h, w, between(random, 1, 4)],
      filterShape: [fh, fw, 0, between(random, 1, 5)],
      strides: strides[i % strides.length]!,
      pad,
    });
    list[i]!.filterShape[2] = list[i]!.xShape[3];
  }
  return list;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const label = (c: ConvCase) =>
  `x ${c.xShape.join('x')} filter ${c.filterShape.join('x')} strides ${c.strides.join(',')} pad ${JSON.stringify(c.pad)}`;

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm: gradients of conv2d equal cpu', () => {
  for (const [i, c] of cases(21).entries()) {
    test(label(c), async () => {
      const x = values(rng(1000 + i), size(c.xShape));
      const w = values(rng(2000 + i), size(c.filterShape));
      // A random upstream gradient (not all ones) so every output position is weighted differently.
      await assertSameOnCpuAndWasm('grads of conv2d', () => {
        const xT = tf.tensor4d(x, c.xShape);
        const wT = tf.tensor4d(w, c.filterShape);
        const y = tf.conv2d(xT, wT, c.strides, c.pad);
        const dy = tf.tensor(values(rng(3000 + i), y.size), y.shape);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad).mul(dy).sum())([xT, wT]);
      });
    });
  }
});

describe('Conv2DBackpropFilter on wasm, called as a kernel', () => {
  for (const [i, c] of cases(22).slice(0, 12).entries()) {
    test(label(c), async () => {
      const x = values(rng(4000 + i), size(c.xShape));
      await assertSameOnCpuAndWasm('Conv2DBackpropFilter', () => {
        const xT = tf.tensor4d(x, c.xShape);
        const outShape = tf.conv2d(xT, tf.zeros(c.filterShape) as tf.Tensor4D, c.strides, c.pad).shape;
        const dy = tf.tensor(values(rng(5000 + i), size(outShape)), outShape);
        return tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: xT, dy },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape },
        ) as tf.Tensor;
      });
    });
  }
});

describe('Conv2DBackpropInput on wasm: conv2dTranspose equals cpu', () => {
  for (const [i, c] of cases(23).slice(0, 12).entries()) {
    if (typeof c.pad !== 'string') continue; // conv2dTranspose takes 'same' | 'valid' | number only
    test(label(c), async () => {
      const w = values(rng(6000 + i), size(c.filterShape));
      await assertSameOnCpuAndWasm('conv2dTranspose', () => {
        const wT = tf.tensor4d(w, c.filterShape);
        const outShape = tf.conv2d(tf.zeros(c.xShape) as tf.Tensor4D, wT, c.strides, c.pad).shape;
        const dy = tf.tensor4d(values(rng(7000 + i), size(outShape)), outShape);
        return tf.conv2dTranspose(dy, wT, c.xShape, c.strides, c.pad as 'same' | 'valid');
      });
    });
  }
});

test('the LeNet conv shapes at batch 8 (stride 1, valid) equal cpu', async () => {
  for (const [xShape, filterShape] of [
    [[8, 28, 28, 1], [5, 5, 1, 10]],
    [[8, 12, 12, 10], [5, 5, 10, 20]],
  ] as [[number, number, number, number], [number, number, number, number]][]) {
    const x = values(rng(8000), size(xShape));
    const w = values(rng(8001), size(filterShape));
    await assertSameOnCpuAndWasm(`LeNet conv ${filterShape.join('x')}`, () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid').square().sum())([
        tf.tensor4d(x, xShape),
        tf.tensor4d(w, filterShape),
      ]),
    );
  }
});

test('conv2d backprop kernels leak no tensors or wasm buffers', async () => {
  await useWasm();
  const x = tf.tensor4d(values(rng(9000), 2 * 9 * 8 * 3), [2, 9, 8, 3]);
  const w = tf.tensor4d(values(rng(9001), 3 * 2 * 3 * 4), [3, 2, 3, 4]);
  for (const strides of [1, 2, 3] as const) {
    for (const pad of ['same', 'valid', 1] as const) {
      assertNoLeak(`strides ${strides} pad ${pad}`, () => {
        tf.tidy(() => {
          tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad).sum())([x, w]);
        });
      });
    }
  }
  tf.dispose([x, w]);
});
