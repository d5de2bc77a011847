import { Random, type RandomState } from '../random/random.js';
import { gradDropPasses } from './gradDropPasses.js';
import { contiguousRows, representationFeatures, requireGradients } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { booleanOption, checkOptionKeys, numberOption } from './options.js';
import { MtlError } from '../errors.js';

/** Options of {@link gradientSignDropout}. */
export interface GradDropOptions {
  /** Leak ℓ: each masked gradient is scaled by ℓ + (1 − ℓ)·mask instead of the mask. @defaultValue 0 */
  leak: number;
  /**
   * In `representation` mode: compute the sign purity per feature from the batch-summed,
   * sign-corrected gradients 𝒢_t = Σ_batch sign(A) ⊙ ∇_A L_t and keep or drop a feature's
   * gradient for the whole batch, one uniform per feature, as the paper does for batched
   * activations and as LibMTL does (true); or per element of the batch × features
   * gradient, one uniform per element (false: a variant of this library, not a
   * reference's rule). No effect in `parameters` mode, where there is no batch
   * dimension. @defaultValue true
   */
  sumOverBatch: boolean;
  /**
   * Rescale the result to the norm of the plain sum Σ_t g_t (over the whole gradient), as
   * the authors' implementation does by default: dropping signs then changes the update's
   * direction, not its length. @defaultValue true
   */
  keepGradientNorm: boolean;
}

/** State of {@link gradientSignDropout}: the generator of the per-coordinate uniforms. */
export interface GradDropState {
  random: RandomState;
}

/**
 * GradDrop, gradient sign dropout: per coordinate, P = ½(1 + Σ_t g_t / Σ_t |g_t|); draw
 * U ~ U(0, 1); keep the positive task gradients where P > U and the negative ones where
 * P < U; the update is Σ_t g_t ⊙ (ℓ + (1 − ℓ) M_t). Chen, Ngiam, Huang, Luong,
 * Kretzschmar, Chai & Anguelov, "Just Pick a Sign: Optimizing Deep Multitask Models with
 * Gradient Sign Dropout", NeurIPS 2020. The 1e-7 in P's denominator is the reference's.
 *
 * Returned as `direction` (a per-coordinate rule, not a combination); `weights` are 1.
 *
 * On the shared parameters (`parameters` mode) the rule runs per coordinate of the T × d
 * rows. On the shared representation A (`representation` mode, the paper's setting, and
 * the default) the paper first sums over the batch: per feature j,
 * 𝒢_t[j] = Σ_b sign(A[b, j]) ∇_A L_t[b, j]; then P[j] = ½(1 + Σ_t 𝒢_t[j] / Σ_t |𝒢_t[j]|),
 * one U[j] per feature, the mask M_t[j] = [P[j] > U[j]]·[𝒢_t[j] > 0] + [P[j] < U[j]]·[𝒢_t[j] < 0],
 * and the update Σ_t (ℓ + (1 − ℓ) M_t[j]) ∇_A L_t[b, j], the mask tiled over the batch.
 * This is also LibMTL's rule (it sums over the batch before taking P). `sumOverBatch:
 * false` gives the per-element rule there too, a variant of this library. Called without
 * `input.representation` (outside a trainer), the rows are taken as per-coordinate.
 * Finally, with `keepGradientNorm` (the default, as in the authors' implementation), the
 * result is scaled to ‖Σ_t g_t‖ (its own norm + 1e-7 below the fraction).
 */
export const gradientSignDropout: WeightingMethod<GradDropState, GradDropOptions> = {
  name: 'graddrop',
  description: 'GradDrop: per-coordinate sign dropout by gradient sign purity (Chen et al., NeurIPS 2020).',
  needs: 'gradients',
  balancesScales: false,
  readsRepresentation: true,
  gradientModes: ['representation', 'parameters'],
  resolveOptions(options) {
    checkOptionKeys('graddrop', options, ['leak', 'sumOverBatch', 'keepGradientNorm']);
    return {
      leak: numberOption('graddrop', options, 'leak', 0, { min: 0, max: 1 }),
      sumOverBatch: booleanOption('graddrop', options, 'sumOverBatch', true),
      keepGradientNorm: booleanOption('graddrop', options, 'keepGradientNorm', true),
    };
  },
  init: (context) => ({ random: new Random(context.seed).state() }),
  update(input, state, options) {
    const rows = requireGradients('graddrop', input);
    const d = rows[0]!.length;
    const random = new Random(state.random);
    const factors = Float64Array.of(options.leak + (1 - options.leak) * 0, options.leak + (1 - options.leak) * 1);
    // Σ (Σ_t g_t)² and Σ direction², for keepGradientNorm.
    const norms = new Float64Array(2);
    if (input.representation && options.sumOverBatch) {
      const direction = dropSignsOverBatch(rows, { batchSize: input.representation.batchSize, values: requireValues(input.representation) }, factors, random, norms);
      if (options.keepGradientNorm) keepNorm(direction, norms);
      return { weights: rows.map(() => 1), direction, state: { random: random.state() } };
    }
    const direction = new Float32Array(d);
    // Up to three tasks: rows held in locals, zeros for the missing ones (a +0 changes
    // no sum here); more: one T×d array read with a stride of d.
    const zeros = rows.length < 3 ? new Float32Array(d) : undefined;
    const all = rows.length > 3 ? contiguousRows(rows) : undefined;
    // One uniform per coordinate in coordinate order (the draws of a call per
    // coordinate), drawn a block at a time.
    const uniforms = new Float64Array(Math.min(d, 4096));
    for (let first = 0; first < d; first += uniforms.length) {
      const count = Math.min(uniforms.length, d - first);
      random.fillUniform(count === uniforms.length ? uniforms : uniforms.subarray(0, count));
      const block = { first, count, uniforms, factors, direction, norms };
      if (all) dropSignsOfMany(all, d, block);
      else dropSignsOfThree(rows[0]!, rows[1] ?? zeros!, rows[2] ?? zeros!, block);
    }
    if (options.keepGradientNorm) keepNorm(direction, norms);
    return { weights: rows.map(() => 1), direction, state: { random: random.state() } };
  },
};

function requireValues(representation: { batchSize: number; values?: Float32Array }): Float32Array {
  if (representation.values) return representation.values;
  throw new MtlError({
    code: 'weighting.bad_representation',
    path: 'weighting.graddrop.update(input.representation.values)',
    expected: 'the representation values, for the batch-summed rule (sumOverBatch)',
    found: 'only the batch size',
    fix: 'pass representation.values (the trainer does, since graddrop declares readsRepresentation), or set sumOverBatch: false',
  });
}

/** Scale the direction to the plain sum's norm: norms = [Σ (Σ_t g_t)², Σ direction²]. */
function keepNorm(direction: Float32Array, norms: Float64Array): void {
  const scale = Math.sqrt(norms[0]!) / (Math.sqrt(norms[1]!) + 1e-7);
  for (let k = 0; k < direction.length; k++) direction[k] = direction[k]! * scale;
}

/**
 * One block of coordinates [first, first + count): their uniforms, the factor
 * ℓ + (1 − ℓ)·mask indexed by the mask (0 dropped, 1 kept), and the output.
 */
interface SignDropBlock {
  first: number;
  count: number;
  uniforms: Float64Array;
  factors: Float64Array;
  direction: Float32Array;
  /** Accumulates [Σ (Σ_t g_t)², Σ direction²] over the blocks. */
  norms: Float64Array;
}

// In both kernels, masks and gradient signs pick table entries (+bool) instead of taking
// branches: they are coin flips, and mispredicted branches were most of the time. A
// coordinate's table holds the factor of its negative gradients [0] and positive ones
// [1]; both factors are ≥ 0 (ℓ ∈ [0, 1]), so a zero or NaN gradient contributes the same
// ±0 or NaN whichever it gets.

/** GradDrop on a block, for three rows. */
function dropSignsOfThree(a: Float32Array, b: Float32Array, c: Float32Array, block: SignDropBlock): void {
  const { first, count, uniforms, factors, direction, norms } = block;
  const bySign = new Float64Array(2);
  let sumSquares = 0;
  let directionSquares = 0;
  for (let k = first; k < first + count; k++) {
    const ga = a[k]!;
    const gb = b[k]!;
    const gc = c[k]!;
    const total = 0 + ga + gb + gc;
    const p = 0.5 * (1 + total / (0 + Math.abs(ga) + Math.abs(gb) + Math.abs(gc) + 1e-7));
    const u = uniforms[k - first]!;
    bySign[0] = factors[+(p < u)]!;
    bySign[1] = factors[+(p > u)]!;
    const out = (direction[k] = 0 + ga * bySign[+(ga > 0)]! + gb * bySign[+(gb > 0)]! + gc * bySign[+(gc > 0)]!);
    sumSquares += total * total;
    directionSquares += out * out;
  }
  norms[0] = norms[0]! + sumSquares;
  norms[1] = norms[1]! + directionSquares;
}

/** GradDrop on a block, for any number of rows: coordinate k of task t is all[t·d + k]. */
function dropSignsOfMany(all: Float32Array, d: number, block: SignDropBlock): void {
  const { first, count, uniforms, factors, direction, norms } = block;
  const bySign = new Float64Array(2);
  let sumSquares = 0;
  let directionSquares = 0;
  for (let k = first; k < first + count; k++) {
    let total = 0;
    let absolute = 0;
    for (let j = k; j < all.length; j += d) {
      total += all[j]!;
      absolute += Math.abs(all[j]!);
    }
    const p = 0.5 * (1 + total / (absolute + 1e-7));
    const u = uniforms[k - first]!;
    bySign[0] = factors[+(p < u)]!;
    bySign[1] = factors[+(p > u)]!;
    let out = 0;
    for (let j = k; j < all.length; j += d) out += all[j]! * bySign[+(all[j]! > 0)]!;
    direction[k] = out;
    sumSquares += total * total;
    directionSquares += direction[k]! * direction[k]!;
  }
  norms[0] = norms[0]! + sumSquares;
  norms[1] = norms[1]! + directionSquares;
}

/**
 * The paper's batched rule (see {@link gradientSignDropout}): rows and the representation
 * are batch-major, batchSize × features. One uniform per feature, in feature order. The
 * two passes over the T × batch × features values are {@link gradDropPasses}' (native
 * when the native path is installed, the same numbers either way).
 */
function dropSignsOverBatch(
  rows: readonly Float32Array[],
  representation: { values: Float32Array; batchSize: number },
  factors: Float64Array,
  random: Random,
  norms: Float64Array,
): Float32Array {
  const { values, batchSize } = representation;
  const d = rows[0]!.length;
  const features = representationFeatures('graddrop', d, representation);
  const t = rows.length;
  const passes = gradDropPasses();
  // 𝒢_t[j] = Σ_b sign(A[b, j]) ∇_A L_t[b, j], task-major (features per task).
  const summed = new Float64Array(Math.max(t, 3) * features);
  passes.signedSums(rows, values, batchSize, features, summed);
  const uniforms = new Float64Array(features);
  random.fillUniform(uniforms);
  // The factor ℓ + (1 − ℓ)·M_t[j] of every task and feature, task-major.
  const keep = new Float64Array(Math.max(t, 3) * features);
  for (let j = 0; j < features; j++) {
    let total = 0;
    let absolute = 0;
    for (let i = 0; i < t; i++) {
      total += summed[i * features + j]!;
      absolute += Math.abs(summed[i * features + j]!);
    }
    const p = 0.5 * (1 + total / (absolute + 1e-7));
    const u = uniforms[j]!;
    for (let i = 0; i < t; i++) {
      const g = summed[i * features + j]!;
      keep[i * features + j] = factors[+((p > u && g > 0) || (p < u && g < 0))]!;
    }
  }
  const direction = new Float32Array(d);
  passes.maskedSum(rows, keep, batchSize, features, direction, norms);
  return direction;
}
