import { matVec } from '../linalg/matrix.js';
import { minimizeLinearPlusNorm } from '../linalg/minimizeLinearPlusNorm.js';
import { requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, choiceOption, numberOption } from './options.js';

/** Options of {@link conflictAverseGradient}. */
export interface CagradOptions {
  /** c: radius of the ball around the mean gradient g0, as a multiple of ‖g0‖ (0.4 in the NYUv2 runs, 0.5 in the toy and LibMTL). @defaultValue 0.4 */
  conflictAversion: number;
  /** Divide the update by 1 + c² (`c-squared`, the paper's), by 1 + c (`c`), or not (`none`). @defaultValue 'c-squared' */
  rescale: 'none' | 'c-squared' | 'c';
}

/**
 * CAGrad, conflict-averse gradient descent: the update d maximises the worst task's
 * improvement min_t g_tᵀd within the ball ‖d − g0‖ ≤ c‖g0‖ around the mean gradient g0.
 * Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient Descent for Multi-task
 * Learning", NeurIPS 2021.
 *
 * Dual: w = argmin_{w∈Δ} g_wᵀg0 + c‖g0‖‖g_w‖ with g_w = Gᵀw, from the Gramian
 * (G g0 = M·1/T, ‖g0‖² = 1ᵀM1/T², ‖g_w‖² = wᵀMw), solved exactly
 * (`minimizeLinearPlusNorm`; the reference uses SLSQP or 20 SGD steps); then
 * d = g0 + (c‖g0‖/‖g_w‖) g_w, rescaled, i.e. weights (1/T + (c‖g0‖/‖g_w‖) w_t)/scale.
 * When g_w = 0 (0 is in the convex hull) the second term is dropped.
 */
export const conflictAverseGradient: WeightingMethod<null, CagradOptions> = {
  name: 'cagrad',
  description: 'CAGrad: maximise the worst task improvement near the mean gradient, c = 0.4 (Liu et al., NeurIPS 2021).',
  needs: 'gramian',
  balancesScales: false,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('cagrad', options, ['conflictAversion', 'rescale']);
    return {
      conflictAversion: numberOption('cagrad', options, 'conflictAversion', 0.4, { min: 0 }),
      rescale: choiceOption('cagrad', options, 'rescale', ['none', 'c-squared', 'c'] as const, 'c-squared'),
    };
  },
  init: () => null,
  update(input, state, options) {
    const m = requireGramian('cagrad', input);
    const t = m.length;
    const c = options.conflictAversion;
    const uniform = new Array<number>(t).fill(1 / t);
    const mg0 = matVec(m, uniform); // G g0
    const g0Norm = Math.sqrt(Math.max(mg0.reduce((s, v) => s + v / t, 0), 0));
    const k = c * g0Norm;
    const { w, norm } = minimizeLinearPlusNorm(m, mg0, k);
    const factor = norm > 1e-12 * Math.sqrt(Math.max(...m.map((row, i) => row[i]!), 0)) ? k / norm : 0;
    const divisor = options.rescale === 'c-squared' ? 1 + c * c : options.rescale === 'c' ? 1 + c : 1;
    return { weights: w.map((wt) => (1 / t + factor * wt) / divisor), state };
  },
};
