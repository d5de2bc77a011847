import { scaleSymmetric } from '../linalg/matrix.js';
import { minNormPoint } from '../linalg/minNormPoint.js';
import { gradientNorms, requireGramian } from './inputs.js';
import type { WeightingInput, WeightingMethod } from './method.js';
import { booleanOption, checkOptionKeys, choiceOption } from './options.js';

/** Gradient normalisers of MGDA: n_t = 1, ‖g_t‖, L_t, or L_t·‖g_t‖. */
export type MgdaNormalizer = 'none' | 'l2' | 'loss' | 'loss+';

/** Options of {@link multipleGradientDescent}. */
export interface MgdaOptions {
  /** How each gradient is normalised before the min-norm problem (g_t / n_t). @defaultValue 'none' */
  normalizer: MgdaNormalizer;
  /** `frank-wolfe`: the reference solver (250 iterations, stop at 1e-5); `exact`: the exact min-norm point. @defaultValue 'frank-wolfe' */
  solver: 'frank-wolfe' | 'exact';
  /**
   * true: the update is Σ α_t g_t/n_t, so the returned weights are α_t/n_t on the raw
   * gradients (LibMTL). false: the weights are α_t on the raw gradients (Sener &
   * Koltun's training script). Irrelevant for `none`.
   * @defaultValue true
   */
  mapWeightsBack: boolean;
}

/** Resolve MGDA's options (shared with MGDA-UB). */
export function resolveMgdaOptions(method: string, options: Record<string, unknown> | undefined): MgdaOptions {
  checkOptionKeys(method, options, ['normalizer', 'solver', 'mapWeightsBack']);
  return {
    normalizer: choiceOption(method, options, 'normalizer', ['none', 'l2', 'loss', 'loss+'] as const, 'none'),
    solver: choiceOption(method, options, 'solver', ['frank-wolfe', 'exact'] as const, 'frank-wolfe'),
    mapWeightsBack: booleanOption(method, options, 'mapWeightsBack', true),
  };
}

/**
 * MGDA's weights: α = argmin_{α∈Δ} ‖Σ α_t g_t/n_t‖² on the normalised Gramian
 * D⁻¹MD⁻¹ (D = diag(n)), mapped back to the raw gradients. A normaliser that is 0 (a
 * zero gradient or a zero loss) or not finite is replaced by 1.
 */
export function mgdaWeights(method: string, input: WeightingInput, options: MgdaOptions): number[] {
  const m = requireGramian(method, input);
  const norms = gradientNorms(m);
  const raw = input.losses.map((loss, t) => {
    switch (options.normalizer) {
      case 'none':
        return 1;
      case 'l2':
        return norms[t]!;
      case 'loss':
        return loss;
      case 'loss+':
        return loss * norms[t]!;
    }
  });
  const n = raw.map((v) => (v > 0 && Number.isFinite(v) ? v : 1));
  const alpha = minNormPoint(scaleSymmetric(m, n.map((v) => 1 / v)), { algorithm: options.solver });
  return options.mapWeightsBack ? alpha.map((a, t) => a / n[t]!) : alpha;
}

/**
 * MGDA, the multiple-gradient descent algorithm as multi-task learning: the update is
 * the min-norm point of the convex hull of the task gradients, a common descent
 * direction (g_tᵀd ≥ ‖d‖² for every task) or 0 at a Pareto-stationary point. Sener &
 * Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018.
 * T = 2 in closed form; T > 2 by Frank-Wolfe from the best pair (the reference solver),
 * or exactly (`solver: 'exact'`).
 */
export const multipleGradientDescent: WeightingMethod<null, MgdaOptions> = {
  name: 'mgda',
  description: 'MGDA: the min-norm point of the convex hull of the task gradients (Sener & Koltun, NeurIPS 2018).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['parameters', 'representation'],
  resolveOptions: (options) => resolveMgdaOptions('mgda', options),
  init: () => null,
  update: (input, state, options) => ({ weights: mgdaWeights('mgda', input, options), state }),
};
