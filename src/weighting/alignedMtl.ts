import type { Matrix } from '../linalg/matrix.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link alignedMtl} and {@link alignedMtlUpperBound}. */
export interface AlignedMtlOptions {
  /**
   * Eigenvalues λ ≤ λ_max · T · rankTolerance are treated as zero (the reference uses
   * torch's float32 machine epsilon).
   * @defaultValue 1.1920929e-7
   */
  rankTolerance: number;
}

/** Resolve Aligned-MTL's options (shared with the UB variant). */
export function resolveAlignedOptions(method: string, options: Record<string, unknown> | undefined): AlignedMtlOptions {
  checkOptionKeys(method, options, ['rankTolerance']);
  return { rankTolerance: numberOption(method, options, 'rankTolerance', 1.1920929e-7, { min: 0 }) };
}

/**
 * Aligned-MTL's weights: M = VΛVᵀ restricted to the eigenvalues above the rank
 * tolerance, B = √λ_min · V Λ^{−1/2} Vᵀ, α = B·1 (0 for an all-zero Gramian).
 */
export function alignedWeights(m: Matrix, options: AlignedMtlOptions): number[] {
  const t = m.length;
  const { values, vectors } = symmetricEigen(m);
  const tolerance = Math.max(values[0]!, 0) * t * options.rankTolerance;
  const kept = values.map((v, k) => (v > tolerance ? k : -1)).filter((k) => k >= 0);
  if (kept.length === 0) return new Array<number>(t).fill(0);
  const smallest = values[kept[kept.length - 1]!]!;
  const weights = new Array<number>(t).fill(0);
  for (const k of kept) {
    const v = vectors[k]!;
    const vSum = v.reduce((s, x) => s + x, 0);
    const factor = (Math.sqrt(smallest) / Math.sqrt(values[k]!)) * vSum;
    for (let i = 0; i < t; i++) weights[i]! += factor * v[i]!;
  }
  return weights;
}

/**
 * Aligned-MTL: align the task gradients into an orthogonal system of equal magnitudes
 * (the condition number of the gradient system becomes 1) and sum them; on the
 * Gramian, α = √λ_min · V Λ^{−1/2} Vᵀ·1 with M = VΛVᵀ. Senushkin, Patakin, Kuznetsov &
 * Konushin, "Independent Component Alignment for Multi-Task Learning", CVPR 2023.
 */
export const alignedMtl: WeightingMethod<null, AlignedMtlOptions> = {
  name: 'aligned-mtl',
  description: 'Aligned-MTL: align the gradient system to condition number 1 (Senushkin et al., CVPR 2023).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['parameters', 'representation'],
  resolveOptions: (options) => resolveAlignedOptions('aligned-mtl', options),
  init: () => null,
  update: (input, state, options) => ({ weights: alignedWeights(requireGramian('aligned-mtl', input), options), state }),
};
