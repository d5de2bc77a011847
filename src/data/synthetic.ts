import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import { Random } from '../random/random.js';
import { ArrayDataset, type TaskLabels } from './dataset.js';

/**
 * Synthetic multi-task benchmarks: the GradNorm regression toy, the MMoE
 * controllable-correlation regression pair, and the CAGrad two-objective toy.
 * Generated data sets draw all randomness from the seed, through independent
 * streams for the problem's constants, the training inputs and the test inputs (so
 * `trainSize` does not change the test set).
 */

/** Options of {@link gradNormRegression}. */
export interface GradNormRegressionArgs {
  seed: number | string;
  /** Output scale σ_i of each task; the number of tasks is its length. @defaultValue [1, 100] */
  sigmas?: readonly number[];
  /** @defaultValue 250 */
  inputDim?: number;
  /** @defaultValue 100 */
  outputDim?: number;
  /** @defaultValue 10000 */
  trainSize?: number;
  /** @defaultValue 2000 */
  testSize?: number;
  /** Standard deviation of the entries of the shared matrix B. @defaultValue 10 */
  baseStd?: number;
  /** Standard deviation of the entries of each task's ε_i. @defaultValue 3.5 */
  taskStd?: number;
  /**
   * Input distribution: `unit` draws x ~ U(−1, 1)^d and scales it to unit L2 norm (as
   * the widely used PyTorch reimplementation does; keeps tanh out of full saturation),
   * `normal` draws x ~ N(0, I). @defaultValue 'unit'
   */
  input?: 'unit' | 'normal';
}

/**
 * The GradNorm regression toy (Chen, Badrinarayanan, Lee & Rabinovich, "GradNorm",
 * ICML 2018, section 4): task i is f_i(x) = σ_i tanh((B + ε_i) x) with x ∈ R^250 and
 * outputs in R^100; B has i.i.d. N(0, 10²) entries shared by all tasks (we read the
 * paper's N(0, 10) as standard deviation 10, as its reference reimplementation does)
 * and each ε_i has i.i.d. N(0, 3.5²) entries. The σ_i make the tasks' loss scales
 * differ by orders of magnitude.
 *
 * Tasks are named `task0`, `task1`, … (regression, width `outputDim`); features are
 * float32 [n, inputDim].
 *
 * @example
 * ```ts
 * const { train, test } = gradNormRegression({ seed: 0, trainSize: 1000, testSize: 200 });
 * // train.taskNames = ['task0', 'task1'], train.inputShape = [250]
 * ```
 */
export function gradNormRegression(args: GradNormRegressionArgs): { train: ArrayDataset; test: ArrayDataset } {
  const {
    seed,
    sigmas = [1, 100],
    inputDim = 250,
    outputDim = 100,
    trainSize = 10000,
    testSize = 2000,
    baseStd = 10,
    taskStd = 3.5,
    input = 'unit',
  } = args;
  checkPositiveInteger('gradNormRegression', { inputDim, outputDim, trainSize, testSize });
  if (sigmas.length === 0 || !sigmas.every(Number.isFinite)) {
    throw new MtlError({
      code: 'data.synthetic_args',
      path: 'gradNormRegression: sigmas',
      expected: 'one finite output scale per task (at least one)',
      found: `[${sigmas.join(', ')}]`,
      fix: 'use e.g. [1, 100]',
    });
  }
  const params = new Random(`gradnorm-params:${seed}`);
  const size = outputDim * inputDim;
  const base = new Float64Array(size);
  for (let k = 0; k < size; k++) base[k] = params.normal(0, baseStd);
  const weights = sigmas.map(() => {
    const w = new Float64Array(size);
    for (let k = 0; k < size; k++) w[k] = base[k]! + params.normal(0, taskStd);
    return w;
  });
  const make = (split: 'train' | 'test', n: number): ArrayDataset => {
    const random = new Random(`gradnorm-${split}:${seed}`);
    const x = new Float32Array(n * inputDim);
    for (let r = 0; r < n; r++) {
      const row = x.subarray(r * inputDim, (r + 1) * inputDim);
      if (input === 'normal') for (let k = 0; k < inputDim; k++) row[k] = random.normal();
      else {
        const raw = new Float64Array(inputDim);
        let norm = 0;
        for (let k = 0; k < inputDim; k++) {
          raw[k] = 2 * random.next() - 1;
          norm += raw[k]! * raw[k]!;
        }
        norm = Math.sqrt(norm) || 1;
        for (let k = 0; k < inputDim; k++) row[k] = raw[k]! / norm;
      }
    }
    const targets: Record<string, TaskLabels> = {};
    weights.forEach((w, t) => {
      const y = new Float32Array(n * outputDim);
      for (let r = 0; r < n; r++) {
        for (let o = 0; o < outputDim; o++) {
          let s = 0;
          const wo = o * inputDim;
          const xr = r * inputDim;
          for (let k = 0; k < inputDim; k++) s += w[wo + k]! * x[xr + k]!;
          y[r * outputDim + o] = sigmas[t]! * Math.tanh(s);
        }
      }
      targets[`task${t}`] = { values: y, width: outputDim };
    });
    return new ArrayDataset({ data: x, shape: [n, inputDim] }, targets, `GradNorm regression ${split} (seed ${seed})`);
  };
  return { train: make('train', trainSize), test: make('test', testSize) };
}

/** Options of {@link mmoeSynthetic}. */
export interface MmoeSyntheticArgs {
  seed: number | string;
  /** Cosine p between the two tasks' weight vectors, in [−1, 1]: the task relatedness. */
  correlation: number;
  /** @defaultValue 100 */
  inputDim?: number;
  /** Number m of sinusoidal terms. @defaultValue 10 */
  sinusoids?: number;
  /**
   * The sinusoids' frequencies α_j and phases β_j, which the paper does not give:
   * `'normal'`, α_j, β_j ~ N(0, 1) drawn per seed (slow sinusoids: most |α_j| < 2);
   * `'fixed'`, α_j = j and β_j = (j − 1)² for j = 1..m, the same for every seed
   * (frequencies up to m: a much wigglier target that takes more units to fit).
   * @defaultValue 'normal'
   */
  sinusoidParams?: 'normal' | 'fixed';
  /** Norm c of the weight vectors. @defaultValue 1 */
  scale?: number;
  /** Standard deviation of the label noise (the paper's N(0, 0.01) read as variance 0.01). @defaultValue 0.1 */
  noiseStd?: number;
  /** @defaultValue 10000 */
  trainSize?: number;
  /** @defaultValue 2000 */
  testSize?: number;
}

/**
 * The MMoE synthetic regression pair with controllable task correlation (Ma, Zhao,
 * Yi, Chen, Hong & Chi, "Modeling Task Relationships in Multi-task Learning with
 * Multi-gate Mixture-of-Experts", KDD 2018, section 3.2):
 * 1. draw orthogonal unit vectors u1, u2 ∈ R^d (Gaussian draws, Gram-Schmidt);
 * 2. w1 = c·u1, w2 = c·(p·u1 + √(1−p²)·u2), so cos(w1, w2) = p;
 * 3. x ~ N(0, I_d);
 * 4. y_i = w_iᵀx + Σ_{j=1..m} sin(α_j w_iᵀx + β_j) + ε_i, with α_j, β_j shared by
 *    both tasks (the paper leaves them open: by default drawn once from N(0, 1),
 *    `sinusoidParams: 'fixed'` takes α_j = j, β_j = (j − 1)²), ε_i ~ N(0, 0.01) (std 0.1).
 * The Pearson correlation of y1 and y2 falls as p falls.
 *
 * Tasks `task0` and `task1` (regression, width 1); features float32 [n, d].
 *
 * @example
 * ```ts
 * const { train, weights } = mmoeSynthetic({ seed: 0, correlation: 0.5, trainSize: 1000 });
 * // weights[0]·weights[1] ≈ 0.5
 * ```
 */
export function mmoeSynthetic(args: MmoeSyntheticArgs): {
  train: ArrayDataset;
  test: ArrayDataset;
  weights: [Float64Array, Float64Array];
  alphas: Float64Array;
  betas: Float64Array;
} {
  const { seed, correlation: p, inputDim = 100, sinusoids = 10, sinusoidParams = 'normal', scale = 1, noiseStd = 0.1, trainSize = 10000, testSize = 2000 } = args;
  checkPositiveInteger('mmoeSynthetic', { inputDim, trainSize, testSize });
  if (sinusoidParams !== 'normal' && sinusoidParams !== 'fixed') {
    throw new MtlError({
      code: 'data.synthetic_args',
      path: 'mmoeSynthetic: sinusoidParams',
      expected: '"normal" (α_j, β_j ~ N(0, 1)) or "fixed" (α_j = j, β_j = (j − 1)²)',
      found: JSON.stringify(sinusoidParams),
    });
  }
  if (!(p >= -1 && p <= 1) || inputDim < 2) {
    throw new MtlError({
      code: 'data.synthetic_args',
      path: 'mmoeSynthetic: correlation',
      expected: 'a cosine in [−1, 1] (and inputDim ≥ 2)',
      found: `correlation ${p}, inputDim ${inputDim}`,
    });
  }
  const params = new Random(`mmoe-params:${seed}`);
  const u1 = gaussianVector(params, inputDim);
  normalize(u1);
  const u2 = gaussianVector(params, inputDim);
  const proj = dot(u1, u2);
  for (let k = 0; k < inputDim; k++) u2[k] = u2[k]! - proj * u1[k]!;
  normalize(u2);
  const q = Math.sqrt(Math.max(0, 1 - p * p));
  const w1 = u1.map((v) => scale * v);
  const w2 = u1.map((v, k) => scale * (p * v + q * u2[k]!));
  // Drawn even when fixed, so that a seed's weight vectors and data do not depend on the choice.
  let alphas = gaussianVector(params, sinusoids);
  let betas = gaussianVector(params, sinusoids);
  if (sinusoidParams === 'fixed') {
    alphas = Float64Array.from({ length: sinusoids }, (_, j) => j + 1);
    betas = Float64Array.from({ length: sinusoids }, (_, j) => j * j);
  }
  const make = (split: 'train' | 'test', n: number): ArrayDataset => {
    const random = new Random(`mmoe-${split}:${seed}`);
    const x = new Float32Array(n * inputDim);
    const y1 = new Float32Array(n);
    const y2 = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let a1 = 0;
      let a2 = 0;
      for (let k = 0; k < inputDim; k++) {
        const v = random.normal();
        x[r * inputDim + k] = v;
        a1 += w1[k]! * v;
        a2 += w2[k]! * v;
      }
      let s1 = a1;
      let s2 = a2;
      for (let j = 0; j < sinusoids; j++) {
        s1 += Math.sin(alphas[j]! * a1 + betas[j]!);
        s2 += Math.sin(alphas[j]! * a2 + betas[j]!);
      }
      y1[r] = s1 + random.normal(0, noiseStd);
      y2[r] = s2 + random.normal(0, noiseStd);
    }
    return new ArrayDataset(
      { data: x, shape: [n, inputDim] },
      { task0: { values: y1, width: 1 }, task1: { values: y2, width: 1 } },
      `MMoE synthetic ${split} (p = ${p}, seed ${seed})`,
    );
  };
  return { train: make('train', trainSize), test: make('test', testSize), weights: [w1, w2], alphas, betas };
}

/** The three starting points of the CAGrad toy used in its paper's figures. */
export const CAGRAD_TOY_STARTS: readonly (readonly [number, number])[] = [
  [-8.5, 7.5],
  [-8.5, -5],
  [9, 9],
];

/**
 * The two-objective toy of CAGrad (Liu, Liu, Jin, Stone & Liu, "Conflict-Averse
 * Gradient Descent for Multi-task Learning", NeurIPS 2021), as in its reference
 * code, for x = (x1, x2):
 * - f1 = log(max(|0.5(−x1−7) − tanh(−x2)|, 5e-6)) + 6,
 *   f2 = log(max(|0.5(−x1+3) + tanh(−x2) + 2|, 5e-6)) + 6;
 * - f1_sq = ((−x1+7)² + 0.1(−x2−8)²)/10 − 20, f2_sq = ((−x1−7)² + 0.1(−x2−8)²)/10 − 20;
 * - c1 = max(tanh(x2/2), 0), c2 = max(tanh(−x2/2), 0);
 * - L1 = c1 f1 + c2 f1_sq, L2 = c1 f2 + c2 f2_sq.
 * Built from tf ops, so it can be differentiated; the caller disposes the two scalars.
 * Start from {@link CAGRAD_TOY_STARTS}; the paper optimises with Adam, lr 1e-3.
 *
 * @throws MtlError `data.synthetic_args` when x is not of shape [2].
 * @example
 * ```ts
 * const [l1, l2] = cagradToy(tf.tensor1d([1, -2])); // ≈ −12.216, −10.0835
 * ```
 */
export function cagradToy(x: tf.Tensor1D): [tf.Scalar, tf.Scalar] {
  if (x.rank !== 1 || x.shape[0] !== 2) {
    throw new MtlError({
      code: 'data.synthetic_args',
      path: 'cagradToy: x',
      expected: 'a tensor of shape [2]',
      found: `shape [${x.shape.join(', ')}]`,
    });
  }
  return tf.tidy(() => {
    const [x1, x2] = tf.unstack(x) as [tf.Scalar, tf.Scalar];
    const lower = tf.scalar(5e-6);
    const tanhNegX2 = tf.tanh(tf.neg(x2));
    const f1 = tf.add(tf.log(tf.maximum(tf.abs(tf.sub(tf.mul(0.5, tf.sub(tf.neg(x1), 7)), tanhNegX2)), lower)), 6);
    const f2 = tf.add(
      tf.log(tf.maximum(tf.abs(tf.add(tf.add(tf.mul(0.5, tf.add(tf.neg(x1), 3)), tanhNegX2), 2)), lower)),
      6,
    );
    const c1 = tf.maximum(tf.tanh(tf.mul(x2, 0.5)), 0);
    const c2 = tf.maximum(tf.tanh(tf.mul(x2, -0.5)), 0);
    const tail = tf.mul(0.1, tf.square(tf.sub(tf.neg(x2), 8)));
    const f1Sq = tf.sub(tf.div(tf.add(tf.square(tf.add(tf.neg(x1), 7)), tail), 10), 20);
    const f2Sq = tf.sub(tf.div(tf.add(tf.square(tf.sub(tf.neg(x1), 7)), tail), 10), 20);
    const l1 = tf.add(tf.mul(c1, f1), tf.mul(c2, f1Sq)) as tf.Scalar;
    const l2 = tf.add(tf.mul(c1, f2), tf.mul(c2, f2Sq)) as tf.Scalar;
    return [l1, l2];
  });
}

function checkPositiveInteger(fn: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new MtlError({
        code: 'data.synthetic_args',
        path: `${fn}: ${name}`,
        expected: 'a positive integer',
        found: `${v}`,
      });
    }
  }
}

function gaussianVector(random: Random, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) v[k] = random.normal();
  return v;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

function normalize(v: Float64Array): void {
  const norm = Math.sqrt(dot(v, v));
  for (let k = 0; k < v.length; k++) v[k] = v[k]! / norm;
}
