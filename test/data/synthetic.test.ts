import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CAGRAD_TOY_STARTS, cagradToy, gradNormRegression, mmoeSynthetic } from '../../src/data/synthetic.js';
import { MtlError } from '../../src/errors.js';
import { Random } from '../../src/random/random.js';

const close = (a: number, b: number, tol: number, what = ''): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tolerance ${tol})`);

function pearson(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

test('gradNormRegression: shapes, task names, output scales and unit-norm inputs', () => {
  const { train, test: testSet } = gradNormRegression({ seed: 1, trainSize: 50, testSize: 20 });
  assert.equal(train.size, 50);
  assert.equal(testSet.size, 20);
  assert.deepEqual(train.inputShape, [250]);
  assert.deepEqual(train.taskNames, ['task0', 'task1']);
  assert.equal(train.targets.task0!.width, 100);
  assert.equal(train.targets.task0!.values.length, 50 * 100);
  let max0 = 0;
  let max1 = 0;
  for (const v of train.targets.task0!.values) max0 = Math.max(max0, Math.abs(v));
  for (const v of train.targets.task1!.values) max1 = Math.max(max1, Math.abs(v));
  assert.ok(max0 <= 1 && max0 > 0.9, `task0 is σ=1 scaled (max ${max0})`);
  assert.ok(max1 <= 100 && max1 > 90, `task1 is σ=100 scaled (max ${max1})`);
  const x = train.features.data;
  let norm = 0;
  for (let k = 0; k < 250; k++) norm += x[k]! ** 2;
  close(norm, 1, 1e-5, 'input norm');
  const three = gradNormRegression({ seed: 1, sigmas: [1, 2, 3], trainSize: 5, testSize: 5, outputDim: 4 });
  assert.deepEqual(three.train.taskNames, ['task0', 'task1', 'task2']);
  assert.equal(three.train.targets.task2!.width, 4);
});

test('gradNormRegression reproduces σ_i tanh((B + ε_i) x) from the documented draws', () => {
  const { train } = gradNormRegression({ seed: 9, sigmas: [1, 100], inputDim: 3, outputDim: 2, trainSize: 4, testSize: 1, input: 'normal' });
  const params = new Random('gradnorm-params:9');
  const base = Array.from({ length: 6 }, () => params.normal(0, 10));
  const w = [0, 1].map(() => base.map((b) => b + params.normal(0, 3.5)));
  const inputs = new Random('gradnorm-train:9');
  for (let r = 0; r < 4; r++) {
    const x = [inputs.normal(), inputs.normal(), inputs.normal()];
    x.forEach((v, k) => close(train.features.data[r * 3 + k]!, v, 1e-6, 'x'));
    [1, 100].forEach((sigma, t) => {
      for (let o = 0; o < 2; o++) {
        const s = w[t]![o * 3]! * x[0]! + w[t]![o * 3 + 1]! * x[1]! + w[t]![o * 3 + 2]! * x[2]!;
        close(train.targets[`task${t}`]!.values[r * 2 + o]!, sigma * Math.tanh(s), 1e-4 * sigma, `y task${t}`);
      }
    });
  }
});

test('gradNormRegression is deterministic from its seed; trainSize leaves the test set alone', () => {
  const a = gradNormRegression({ seed: 3, trainSize: 10, testSize: 10, outputDim: 5 });
  const b = gradNormRegression({ seed: 3, trainSize: 20, testSize: 10, outputDim: 5 });
  const c = gradNormRegression({ seed: 4, trainSize: 10, testSize: 10, outputDim: 5 });
  assert.deepEqual(a.train.features.data, b.train.features.data.subarray(0, 10 * 250));
  assert.deepEqual(a.test.features.data, b.test.features.data);
  assert.deepEqual(a.test.targets.task1!.values, b.test.targets.task1!.values);
  assert.notDeepEqual(a.train.targets.task0!.values, c.train.targets.task0!.values);
  assert.throws(() => gradNormRegression({ seed: 0, trainSize: 0 }), (e: unknown) => e instanceof MtlError && e.path.includes('trainSize'));
});

test('mmoeSynthetic: unit weight vectors with cosine p, and labels rebuilt exactly without noise', () => {
  const { train, weights, alphas, betas } = mmoeSynthetic({ seed: 2, correlation: 0.3, trainSize: 30, testSize: 5, noiseStd: 0 });
  assert.deepEqual(train.inputShape, [100]);
  assert.deepEqual(train.taskNames, ['task0', 'task1']);
  assert.equal(alphas.length, 10);
  assert.equal(betas.length, 10);
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, k) => s + v * b[k]!, 0);
  close(dot(weights[0], weights[0]), 1, 1e-12, '|w1|²');
  close(dot(weights[1], weights[1]), 1, 1e-12, '|w2|²');
  close(dot(weights[0], weights[1]), 0.3, 1e-12, 'w1·w2');
  for (let r = 0; r < 30; r++) {
    const x = Float64Array.from(train.features.data.subarray(r * 100, (r + 1) * 100));
    [0, 1].forEach((t) => {
      const a = dot(weights[t as 0 | 1], x);
      let y = a;
      for (let j = 0; j < 10; j++) y += Math.sin(alphas[j]! * a + betas[j]!);
      close(train.targets[`task${t}`]!.values[r]!, y, 1e-4, `y${t}`);
    });
  }
  const scaled = mmoeSynthetic({ seed: 2, correlation: 0.3, scale: 2, trainSize: 1, testSize: 1 });
  close(dot(scaled.weights[1], scaled.weights[1]), 4, 1e-12, 'c = 2');
});

test('mmoeSynthetic: sinusoidParams "fixed" takes α_j = j, β_j = (j − 1)², the same weight vectors and inputs', () => {
  const normal = mmoeSynthetic({ seed: 4, correlation: 0.5, trainSize: 20, testSize: 1, noiseStd: 0 });
  const fixed = mmoeSynthetic({ seed: 4, correlation: 0.5, trainSize: 20, testSize: 1, noiseStd: 0, sinusoidParams: 'fixed' });
  assert.deepEqual(Array.from(fixed.alphas), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(Array.from(fixed.betas), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  assert.deepEqual(fixed.weights, normal.weights);
  assert.deepEqual(fixed.train.features.data, normal.train.features.data);
  const x = Float64Array.from(fixed.train.features.data.subarray(0, 100));
  const a = fixed.weights[1].reduce((s, v, k) => s + v * x[k]!, 0);
  let y = a;
  for (let j = 1; j <= 10; j++) y += Math.sin(j * a + (j - 1) ** 2);
  close(fixed.train.targets.task1!.values[0]!, y, 1e-4, 'y1 with the fixed sinusoids');
  assert.notDeepEqual(fixed.train.targets.task1!.values, normal.train.targets.task1!.values);
  assert.throws(
    () => mmoeSynthetic({ seed: 0, correlation: 0, sinusoidParams: 'uniform' as 'fixed' }),
    (e: unknown) => e instanceof MtlError && e.path.includes('sinusoidParams') && /"uniform"/.test(e.message),
  );
});

test('mmoeSynthetic: the label correlation falls as the weight cosine falls (5,000 samples)', () => {
  const ps = [1, 0.75, 0.5, 0.25, 0];
  const r = ps.map((p) => {
    const { train } = mmoeSynthetic({ seed: 0, correlation: p, trainSize: 5000, testSize: 1 });
    return pearson(train.targets.task0!.values, train.targets.task1!.values);
  });
  assert.ok(r[0]! > 0.98, `p = 1 gives nearly identical labels (r = ${r[0]})`);
  for (let i = 1; i < r.length; i++) assert.ok(r[i]! < r[i - 1]! - 0.05, `r(${ps[i]}) = ${r[i]} < r(${ps[i - 1]}) = ${r[i - 1]}`);
  assert.ok(Math.abs(r[4]!) < 0.15, `p = 0 gives nearly uncorrelated labels (r = ${r[4]})`);
  const again = mmoeSynthetic({ seed: 0, correlation: 0.5, trainSize: 10, testSize: 1 });
  const again2 = mmoeSynthetic({ seed: 0, correlation: 0.5, trainSize: 10, testSize: 1 });
  assert.deepEqual(again.train.targets.task1!.values, again2.train.targets.task1!.values);
  assert.throws(() => mmoeSynthetic({ seed: 0, correlation: 1.5 }), (e: unknown) => e instanceof MtlError && e.code === 'data.synthetic_args');
});

test('cagradToy: values at hand-computed points, with no leaked tensors', () => {
  const before = tf.memory().numTensors;
  const at = (x1: number, x2: number): [number, number] => {
    const x = tf.tensor1d([x1, x2]);
    const [l1, l2] = cagradToy(x);
    const out: [number, number] = [l1.dataSync()[0]!, l2.dataSync()[0]!];
    tf.dispose([x, l1, l2]);
    return out;
  };
  // x2 < 0: c1 = 0, c2 = tanh(1); f1_sq = (36 + 3.6)/10 − 20 = −16.04, f2_sq = (64 + 3.6)/10 − 20 = −13.24.
  const [a1, a2] = at(1, -2);
  close(a1, 0.7615941559557649 * -16.04, 1e-4, 'L1(1, −2)');
  close(a2, 0.7615941559557649 * -13.24, 1e-4, 'L2(1, −2)');
  // x2 > 0: c2 = 0, c1 = tanh(3.75); f1 = log(0.75 + tanh(7.5)) + 6, f2 = log(7.75 − tanh(7.5)) + 6.
  const [b1, b2] = at(-8.5, 7.5);
  close(b1, 6.552363407771327, 1e-4, 'L1(−8.5, 7.5)');
  close(b2, 7.900798143172848, 1e-4, 'L2(−8.5, 7.5)');
  assert.deepEqual(at(0, 0), [0, 0]);
  // Where |0.5(−x1−7) − tanh(−x2)| = 0 the clamp gives log(5e-6) + 6.
  const [c1] = at(-5, 20); // 0.5(5 − 7) − tanh(−20) = −1 + 1 = 0
  close(c1, Math.tanh(10) * (Math.log(5e-6) + 6), 1e-3, 'clamped L1');
  assert.equal(tf.memory().numTensors, before);
});

test('cagradToy is differentiable: gradients at (1, −2) match the analytic ones', () => {
  const before = tf.memory().numTensors;
  const x = tf.tensor1d([1, -2]);
  const g1 = tf.grad((v: tf.Tensor) => cagradToy(v as tf.Tensor1D)[0])(x);
  const g2 = tf.grad((v: tf.Tensor) => cagradToy(v as tf.Tensor1D)[1])(x);
  // L1 = tanh(−x2/2)·f1_sq: ∂x1 = tanh(1)·(−1.2), ∂x2 = −0.5(1 − tanh²(1))·(−16.04) + tanh(1)·0.12.
  const [d11, d12] = g1.dataSync();
  close(d11!, -0.9139129871469178, 1e-4, '∂L1/∂x1');
  close(d12!, 3.4595855184591815, 1e-4, '∂L1/∂x2');
  const [d21, d22] = g2.dataSync();
  close(d21!, 1.2185506495292238, 1e-4, '∂L2/∂x1');
  close(d22!, 2.871621440199545, 1e-4, '∂L2/∂x2');
  tf.dispose([x, g1, g2]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(CAGRAD_TOY_STARTS, [
    [-8.5, 7.5],
    [-8.5, -5],
    [9, 9],
  ]);
  const bad = tf.tensor1d([1, 2, 3]);
  assert.throws(() => cagradToy(bad), (e: unknown) => e instanceof MtlError && e.message.includes('shape [3]'));
  bad.dispose();
});
