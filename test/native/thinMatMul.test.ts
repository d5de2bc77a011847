import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { loadAddon, type NativeAddon } from '../../src/backend/native/addon.js';
import { assertClose, compareKernel, installNative, onStockCpu, randomTensor, randomValues, runKernel, skipNative } from './helpers.js';

// Thin products (M·N ≤ 64 outputs over a long K) take native/thin_gemm.cc's blocked dot
// products instead of sgemm. Float32 rounding: stock cpu adds K/64 float32 partial sums,
// sgemm one float32 sum per output, the thin kernel 64 float32 terms per lane and block
// before a double add. A float32 sum of n terms of random sign errs by about
// u·√n·(term size), i.e. ≤ 1e-5 of the output's RMS up to K/64 ≈ 5,000 adds with a
// margin; against the float64 reference the thin kernel must stay within its worst
// case (33·u·Σ|a·b| for 32-term float runs, plus the final rounding) and, summed over
// a test's cases, be no less accurate than sgemm.
const U = 2 ** -24;

interface Case {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  batchA?: number;
  batchB?: number;
}

/** op(A)·op(B) in float64 per batch item, with Σ|a·b| for the error bound. */
function reference(a: Float32Array, b: Float32Array, c: Case): { values: Float64Array; magnitude: Float64Array } {
  const { m, n, k, transposeA, transposeB } = c;
  const batchA = c.batchA ?? 1, batchB = c.batchB ?? 1, batch = Math.max(batchA, batchB);
  const values = new Float64Array(batch * m * n), magnitude = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = (t % batchA) * m * k, bo = (t % batchB) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0, mag = 0;
        for (let p = 0; p < k; p++) {
          const x = a[ao + (transposeA ? p * m + i : i * k + p)]!;
          const y = b[bo + (transposeB ? j * k + p : p * n + j)]!;
          s += x * y;
          mag += Math.abs(x * y);
        }
        values[t * m * n + i * n + j] = s;
        magnitude[t * m * n + i * n + j] = mag;
      }
    }
  }
  return { values, magnitude };
}

function shapes(c: Case): { a: number[]; b: number[] } {
  const a = c.transposeA ? [c.k, c.m] : [c.m, c.k];
  const b = c.transposeB ? [c.n, c.k] : [c.k, c.n];
  return {
    a: c.batchA !== undefined ? [c.batchA, ...a] : a,
    b: c.batchB !== undefined ? [c.batchB, ...b] : b,
  };
}

function rms(values: Float64Array): number {
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / Math.max(1, values.length));
}

describe('native thin matmul (M·N ≤ 64, long K) vs stock cpu and float64', { skip: skipNative }, () => {
  let addon: NativeAddon;
  let threads = 1;
  before(async () => {
    await installNative();
    const load = loadAddon();
    assert.ok(load.ok);
    addon = load.addon;
    threads = addon.info().threads;
  });
  after(() => {
    addon.setThinMatMul(true);
    addon.setNumThreads(threads);
  });

  /** Native result vs stock cpu (rtol of the RMS), vs float64 (bound), and vs sgemm's own error. */
  async function check(c: Case, seed: number): Promise<void> {
    const s = shapes(c);
    const aValues = randomValues(s.a.reduce((x, y) => x * y, 1), seed);
    const bValues = randomValues(s.b.reduce((x, y) => x * y, 1), seed + 1);
    const what = `${JSON.stringify(c)}`;
    const attrs = { transposeA: c.transposeA, transposeB: c.transposeB };
    const inputs = (): Record<string, tf.Tensor> => ({ a: tf.tensor(aValues, s.a), b: tf.tensor(bValues, s.b) });
    await compareKernel('BatchMatMul', inputs, attrs, what);

    const before = tf.memory().numTensors;
    const a = tf.tensor(aValues, s.a), b = tf.tensor(bValues, s.b);
    const thin = runKernel('BatchMatMul', { a, b }, attrs).values;
    addon.setThinMatMul(false);
    const sgemm = runKernel('BatchMatMul', { a, b }, attrs).values;
    addon.setThinMatMul(true);
    tf.dispose([a, b]);
    assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);

    const ref = reference(aValues, bValues, c);
    let thinSq = 0, sgemmSq = 0;
    for (let i = 0; i < ref.values.length; i++) {
      const want = ref.values[i]!, thinErr = Math.abs(thin[i]! - want);
      const bound = 33 * U * ref.magnitude[i]! + U * Math.abs(want);
      assert.ok(thinErr <= bound, `${what}[${i}]: got ${thin[i]}, float64 ${want}, error ${thinErr} > ${bound}`);
      thinSq += thinErr ** 2;
      sgemmSq += (sgemm[i]! - want) ** 2;
    }
    errors.thin += thinSq;
    errors.sgemm += sgemmSq;
    errors.rounding += (U * rms(ref.values)) ** 2 * ref.values.length;
  }

  // Squared errors vs float64 summed over the cases of one test: a single output's error
  // is one random draw, a test's total says which kernel is more accurate.
  const errors = { thin: 0, sgemm: 0, rounding: 0 };
  beforeEach(() => Object.assign(errors, { thin: 0, sgemm: 0, rounding: 0 }));
  /** At least as accurate as sgemm overall, up to the final float32 rounding both share. */
  function assertAsAccurateAsSgemm(what: string): void {
    assert.ok(Math.sqrt(errors.thin) <= Math.sqrt(errors.sgemm) + Math.sqrt(errors.rounding),
      `${what}: total error ${Math.sqrt(errors.thin)} vs sgemm ${Math.sqrt(errors.sgemm)}`);
  }

  let seed = 1;
  const transposes = [[false, false], [false, true], [true, false], [true, true]] as const;
  test('all M, N in 1..8 at K = 1, 7, 1000, every transpose combination', async () => {
    for (const k of [1, 7, 1000]) {
      for (let m = 1; m <= 8; m++) {
        for (let n = 1; n <= 8; n++) {
          for (const [transposeA, transposeB] of transposes) await check({ m, n, k, transposeA, transposeB }, seed++);
        }
      }
    }
    assertAsAccurateAsSgemm('K ≤ 1000');
  });

  for (const k of [65536, 300001]) {
    test(`K = ${k}: several M×N, every transpose combination`, async () => {
      for (const [m, n] of [[1, 1], [3, 3], [2, 5], [8, 8], [4, 1], [1, 7], [8, 3], [16, 4], [1, 64]] as const) {
        if (k > 65536 && m * n > 24) continue;  // the float64 reference is slow in JS
        for (const [transposeA, transposeB] of transposes) await check({ m, n, k, transposeA, transposeB }, seed++);
      }
      assertAsAccurateAsSgemm(`K = ${k}`);
    });
  }

  test('batches: equal, broadcast A or B, with transposes', async () => {
    await check({ m: 3, n: 3, k: 5000, transposeA: false, transposeB: true, batchA: 4, batchB: 4 }, 101);
    await check({ m: 2, n: 1, k: 40000, transposeA: false, transposeB: false, batchA: 3, batchB: 1 }, 102);
    await check({ m: 4, n: 2, k: 3000, transposeA: true, transposeB: false, batchA: 1, batchB: 5 }, 103);
    await check({ m: 1, n: 6, k: 20000, transposeA: true, transposeB: true, batchA: 2, batchB: 2 }, 104);
  });

  test('the Gramian G·Gᵀ (same tensor on both sides) is symmetric and matches float64', async () => {
    for (const [t, k] of [[2, 1000], [3, 65536], [7, 70001], [8, 20000]] as const) {
      const before = tf.memory().numTensors;
      const values = randomValues(t * k, 40 + t);
      const g = tf.tensor(values, [t, k]);
      const got = runKernel('BatchMatMul', { a: g, b: g }, { transposeA: false, transposeB: true }).values;
      const gt = tf.tensor(values, [k, t]);  // GᵀG of a [K, T] matrix: the other symmetric layout
      const got2 = runKernel('BatchMatMul', { a: gt, b: gt }, { transposeA: true, transposeB: false }).values;
      tf.dispose([g, gt]);
      assert.equal(tf.memory().numTensors, before, 'leaked tensors');
      const ref = reference(values, values, { m: t, n: t, k, transposeA: false, transposeB: true });
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < t; j++) {
          assert.equal(got[i * t + j], got[j * t + i], `G·Gᵀ [${i},${j}] symmetric`);
          const want = ref.values[i * t + j]!;
          assert.ok(Math.abs(got[i * t + j]! - want) <= 33 * U * ref.magnitude[i * t + j]! + U * Math.abs(want));
        }
      }
      const ref2 = reference(values, values, { m: t, n: t, k, transposeA: true, transposeB: false });
      assertClose(got2, Float32Array.from(ref2.values), 1e-6, `GᵀG T=${t}`);
    }
  });

  test('results do not depend on the thread count', () => {
    const a = randomTensor([5, 300001], 7), b = randomTensor([300001, 2], 8);
    addon.setNumThreads(1);
    const one = runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }).values;
    addon.setNumThreads(2);
    const two = runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }).values;
    addon.setNumThreads(threads);
    tf.dispose([a, b]);
    assert.deepEqual([...two], [...one]);
  });

  test('fused bias and activation on a thin product', async () => {
    await compareKernel('_FusedMatMul', () => ({
      a: randomTensor([3, 4096], 21), b: randomTensor([2, 4096], 22), bias: randomTensor([2], 23),
    }), { transposeA: false, transposeB: true, activation: 'relu', leakyreluAlpha: 0.2 }, 'fused thin', 1e-5);
  });

  test('empty K: zeros (and the bias alone when fused)', async () => {
    await compareKernel('BatchMatMul', () => ({ a: randomTensor([3, 0], 1), b: randomTensor([3, 0], 2) }),
      { transposeA: false, transposeB: true }, 'k=0');
    await compareKernel('BatchMatMul', () => ({ a: randomTensor([2, 0, 4], 1), b: randomTensor([2, 0, 1], 2) }),
      { transposeA: true, transposeB: false }, 'batched k=0');
  });

  test('gradients through tf.matMul on thin shapes match stock cpu', async () => {
    const before = tf.memory().numTensors;
    const g = randomTensor([3, 20000], 31), v = randomTensor([20000, 1], 32), w = randomTensor([3, 3], 33);
    // A Gramian-weighted loss and a matrix-vector product, differentiated in both inputs.
    const loss = (x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
      tf.add(tf.sum(tf.mul(tf.matMul(x, x, false, true), w)), tf.sum(tf.square(tf.matMul(x, y)))) as tf.Scalar;
    const run = (): Float32Array[] => tf.tidy(() => {
      const grads = tf.grads(loss)([g, v]);
      return grads.map((t) => Float32Array.from(t.dataSync() as Float32Array));
    });
    const want = await onStockCpu(run);
    const got = run();
    tf.dispose([g, v, w]);
    assert.equal(tf.memory().numTensors, before, 'leaked tensors');
    for (let i = 0; i < got.length; i++) assertClose(got[i]!, want[i]!, 1e-4, `gradient ${i}`);
  });
});
