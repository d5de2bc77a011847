import { solvePowerEquation } from '../linalg/solvePowerEquation.js';
import { requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link fairGrad}. */
export interface FairGradOptions {
  /** α of α-fairness: 1 is proportional fairness (= Nash-MTL), → ∞ max-min fairness, → 0 utilitarian. @defaultValue 1 */
  fairness: number;
}

/**
 * FairGrad: α-fair allocation of the update among the tasks; the weights w > 0 solve
 * (GGᵀ)w = w^{−1/α} elementwise and the update is Gᵀw (so g_tᵀd = w_t^{−1/α} > 0).
 * Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024.
 *
 * Solver: damped Newton on a strictly convex potential to relative residual 1e-12
 * (`solvePowerEquation`); the reference uses scipy's least_squares from w = 1/T.
 * Degenerate cases as in `nash-mtl`.
 */
export const fairGrad: WeightingMethod<null, FairGradOptions> = {
  name: 'fairgrad',
  description: 'FairGrad: α-fair weights solving Mw = w^{−1/α}, α = 1 (Ban & Ji, ICML 2024).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('fairgrad', options, ['fairness']);
    return { fairness: numberOption('fairgrad', options, 'fairness', 1, { min: Number.MIN_VALUE }) };
  },
  init: () => null,
  update: (input, state, options) => ({
    weights: solvePowerEquation(requireGramian('fairgrad', input), 1 / options.fairness).w,
    state,
  }),
};
