import { Random, type RandomState } from '../training/random.js';
import { contiguousRows, requireGradients } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link gradientSignDropout}. */
export interface GradDropOptions {
  /** Leak ℓ: each masked gradient is scaled by ℓ + (1 − ℓ)·mask instead of the mask. @defaultValue 0 */
  leak: number;
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
 * What is implemented works on the T × d rows it is given. The paper applies it to the
 * gradients w.r.t. a representation A, with P computed from sign(A) ⊙ g summed over the
 * batch and the mask broadcast over the batch; that needs the trainer to pass those
 * batch-summed, sign-corrected per-feature rows (and to broadcast the mask back).
 */
export const gradientSignDropout: WeightingMethod<GradDropState, GradDropOptions> = {
  name: 'graddrop',
  description: 'GradDrop: per-coordinate sign dropout by gradient sign purity (Chen et al., NeurIPS 2020).',
  needs: 'gradients',
  gradientModes: ['representation', 'parameters'],
  resolveOptions(options) {
    checkOptionKeys('graddrop', options, ['leak']);
    return { leak: numberOption('graddrop', options, 'leak', 0, { min: 0, max: 1 }) };
  },
  init: (context) => ({ random: new Random(context.seed).state() }),
  update(input, state, options) {
    const rows = requireGradients('graddrop', input);
    const d = rows[0]!.length;
    const random = new Random(state.random);
    const factors = Float64Array.of(options.leak + (1 - options.leak) * 0, options.leak + (1 - options.leak) * 1);
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
      const block = { first, count, uniforms, factors, direction };
      if (all) dropSignsOfMany(all, d, block);
      else dropSignsOfThree(rows[0]!, rows[1] ?? zeros!, rows[2] ?? zeros!, block);
    }
    return { weights: rows.map(() => 1), direction, state: { random: random.state() } };
  },
};

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
}

// In both kernels, masks and gradient signs pick table entries (+bool) instead of taking
// branches: they are coin flips, and mispredicted branches were most of the time. A
// coordinate's table holds the factor of its negative gradients [0] and positive ones
// [1]; both factors are ≥ 0 (ℓ ∈ [0, 1]), so a zero or NaN gradient contributes the same
// ±0 or NaN whichever it gets.

/** GradDrop on a block, for three rows. */
function dropSignsOfThree(a: Float32Array, b: Float32Array, c: Float32Array, block: SignDropBlock): void {
  const { first, count, uniforms, factors, direction } = block;
  const bySign = new Float64Array(2);
  for (let k = first; k < first + count; k++) {
    const ga = a[k]!;
    const gb = b[k]!;
    const gc = c[k]!;
    const p = 0.5 * (1 + (0 + ga + gb + gc) / (0 + Math.abs(ga) + Math.abs(gb) + Math.abs(gc) + 1e-7));
    const u = uniforms[k - first]!;
    bySign[0] = factors[+(p < u)]!;
    bySign[1] = factors[+(p > u)]!;
    direction[k] = 0 + ga * bySign[+(ga > 0)]! + gb * bySign[+(gb > 0)]! + gc * bySign[+(gc > 0)]!;
  }
}

/** GradDrop on a block, for any number of rows: coordinate k of task t is all[t·d + k]. */
function dropSignsOfMany(all: Float32Array, d: number, block: SignDropBlock): void {
  const { first, count, uniforms, factors, direction } = block;
  const bySign = new Float64Array(2);
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
  }
}
