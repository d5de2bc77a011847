import { solveBoxQP } from '../linalg/solveBoxQP.js';
import { trace } from '../linalg/matrix.js';
import { requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link upgrad}. */
export interface UpgradOptions {
  /** When trace(M) is below this, the normalised Gramian is taken as 0 (TorchJD's norm_eps). @defaultValue 0.0001 */
  normalizationEpsilon: number;
  /** εI added to the normalised Gramian to make it positive definite (TorchJD's reg_eps). @defaultValue 0.0001 */
  regularization: number;
}

/**
 * UPGrad, unconflicting projection of gradients: each task's share g_t/T is projected
 * onto the dual cone of the gradients ({d : g_sᵀd ≥ 0 ∀s}) and the projections are
 * summed, so the update never conflicts with a task. Quinton & Rey, "Jacobian Descent
 * for Multi-Objective Optimization", 2024 (arXiv:2406.16232; TorchJD).
 *
 * On the Gramian: M̃ = M/trace(M) + εI; for each row u of diag(1/T), v_u = argmin vᵀM̃v
 * s.t. v ≥ u (solved exactly by an active-set method, where the reference calls
 * quadprog); the weights are Σ_u v_u. With ε > 0, g_tᵀd ≥ −ε·trace(M)·v_t: exact
 * non-conflict needs `regularization: 0`.
 */
export const upgrad: WeightingMethod<null, UpgradOptions> = {
  name: 'upgrad',
  description: 'UPGrad: sum of the projections of each g_t/T onto the dual cone of the gradients (Quinton & Rey, 2024).',
  needs: 'gramian',
  balancesScales: false,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('upgrad', options, ['normalizationEpsilon', 'regularization']);
    return {
      normalizationEpsilon: numberOption('upgrad', options, 'normalizationEpsilon', 0.0001, { min: 0 }),
      regularization: numberOption('upgrad', options, 'regularization', 0.0001, { min: 0 }),
    };
  },
  init: () => null,
  update(input, state, options) {
    const m = requireGramian('upgrad', input);
    const t = m.length;
    const squaredFrobenius = trace(m);
    const normalised = m.map((row, i) =>
      row.map((v, j) => (squaredFrobenius < options.normalizationEpsilon ? 0 : v / squaredFrobenius) + (i === j ? options.regularization : 0)),
    );
    const weights = new Array<number>(t).fill(0);
    const zeros = new Array<number>(t).fill(0);
    for (let r = 0; r < t; r++) {
      const u = zeros.map((_, i) => (i === r ? 1 / t : 0));
      const { x } = solveBoxQP(normalised, zeros, u);
      for (let i = 0; i < t; i++) weights[i]! += x[i]!;
    }
    return { weights, state };
  },
};
