import { solvePowerEquation } from '../linalg/solvePowerEquation.js';
import { requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { booleanOption, checkOptionKeys } from './options.js';

/** Options of {@link nashMtl}. */
export interface NashMtlOptions {
  /**
   * Solve on the normalised Gramian M/‖M‖_F and scale the solution back, as the
   * reference code does for conditioning: it divides M by ‖M‖_F but multiplies α by
   * the same factor inside every constraint, so what it solves is still the paper's
   * M α = 1/α. The weights equal the default's (to the solver's tolerance); only the
   * numbers the solver sees are of order 1. (Solving on M/‖M‖_F without scaling back
   * would give weights √‖M‖_F times too large.) @defaultValue false
   */
  normalizeGramian: boolean;
}

/**
 * Nash-MTL: the Nash bargaining solution among the tasks, the α > 0 with
 * (GGᵀ)α = 1/α elementwise; the update is Gᵀα, so g_tᵀd = 1/α_t > 0 for every task.
 * Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, "Multi-Task Learning
 * as a Bargaining Game", ICML 2022.
 *
 * Solver: damped Newton on the convex potential ½αᵀMα − Σ log α_t, to a relative
 * residual of 1e-12 (`solvePowerEquation`), where the reference runs 20 rounds of a
 * convex program (cvxpy) and stops at ‖Mα − 1/α‖ < 1e-3. A zero gradient gets α_t = 0;
 * at a Pareto-stationary point (a positive combination of the gradients is 0) there is
 * no solution and a 1e-8 ridge is used. The reference also clips the shared gradient
 * to norm 1 (a trainer setting, `clipNorm: 1`).
 */
export const nashMtl: WeightingMethod<null, NashMtlOptions> = {
  name: 'nash-mtl',
  description: 'Nash-MTL: the Nash bargaining solution Mα = 1/α (Navon et al., ICML 2022).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('nash-mtl', options, ['normalizeGramian']);
    return { normalizeGramian: booleanOption('nash-mtl', options, 'normalizeGramian', false) };
  },
  init: () => null,
  update(input, state, options) {
    const m = requireGramian('nash-mtl', input);
    if (options.normalizeGramian) {
      // With N = M/n (n = ‖M‖_F), β solving Nβ = 1/β gives α = β/√n:
      // Mα = n·Nβ/√n = √n/β = 1/α, the unnormalised equation.
      const frobenius = Math.sqrt(m.reduce((s, row) => s + row.reduce((r, v) => r + v * v, 0), 0));
      if (frobenius > 0) {
        const beta = solvePowerEquation(m.map((row) => row.map((v) => v / frobenius)), 1).w;
        const scale = 1 / Math.sqrt(frobenius);
        return { weights: beta.map((b) => b * scale), state };
      }
    }
    return { weights: solvePowerEquation(m, 1).w, state };
  },
};
