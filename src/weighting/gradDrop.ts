import { Random, type RandomState } from '../training/random.js';
import { requireGradients } from './inputs.js';
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
    const direction = new Float32Array(d);
    const leak = options.leak;
    for (let k = 0; k < d; k++) {
      let total = 0;
      let absolute = 0;
      for (const row of rows) {
        total += row[k]!;
        absolute += Math.abs(row[k]!);
      }
      const p = 0.5 * (1 + total / (absolute + 1e-7));
      const u = random.next();
      let out = 0;
      for (const row of rows) {
        const g = row[k]!;
        const mask = (p > u && g > 0) || (p < u && g < 0) ? 1 : 0;
        out += g * (leak + (1 - leak) * mask);
      }
      direction[k] = out;
    }
    return { weights: rows.map(() => 1), direction, state: { random: random.state() } };
  },
};
