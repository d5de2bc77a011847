import { MtlError } from '../errors.js';
import type { Matrix } from './matrix.js';
import { solveSimplexQP } from './solveSimplexQP.js';

/** Options of {@link minNormPoint}. */
export interface MinNormPointOptions {
  /**
   * `frank-wolfe`: the MGDA reference solver (Sener & Koltun's MinNormSolver, its
   * Frank-Wolfe variant): the best pair in closed form (weights clipped to
   * [0.001, 0.999] as in the reference), then Frank-Wolfe steps with exact line search.
   * `exact`: the exact minimiser (closed form clipped to [0, 1] for two tasks, an
   * active-set QP otherwise).
   * @defaultValue 'frank-wolfe'
   */
  algorithm?: 'frank-wolfe' | 'exact';
  /** Frank-Wolfe iteration cap. @defaultValue 250 */
  maxIterations?: number;
  /** Frank-Wolfe stops when Σ_t |Δα_t| falls below this. @defaultValue 1e-5 */
  tolerance?: number;
}

/**
 * The weights α of the min-norm point of the convex hull of the gradients, from their
 * Gramian M: argmin_{α ∈ Δ} ‖Σ_t α_t g_t‖² = αᵀMα. Sener & Koltun, "Multi-Task Learning
 * as Multi-Objective Optimization" (NeurIPS 2018), Algorithm 2.
 *
 * @example
 * minNormPoint([[1, 0], [0, 1]]); // → [0.5, 0.5]
 */
export function minNormPoint(gramian: Matrix, options: MinNormPointOptions = {}): number[] {
  const n = gramian.length;
  if (n === 0) {
    throw new MtlError({ code: 'linalg.shape', path: 'minNormPoint(gramian)', expected: 'at least one task', found: 'an empty Gramian' });
  }
  if (n === 1) return [1];
  const exact = (options.algorithm ?? 'frank-wolfe') === 'exact';
  if (exact && n > 2) return solveSimplexQP(gramian, new Array<number>(n).fill(0)).x;
  const m = gramian;
  // The best pair (i, j), each solved in closed form.
  let best = { i: 0, j: 1, gamma: 1, cost: Infinity };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const { gamma, cost } = minNormOfTwo(m[i]![i]!, m[i]![j]!, m[j]![j]!, exact);
      if (cost < best.cost) best = { i, j, gamma, cost };
    }
  }
  let alpha = new Array<number>(n).fill(0);
  alpha[best.i] = best.gamma;
  alpha[best.j] = 1 - best.gamma;
  if (n < 3) return alpha;
  const maxIterations = options.maxIterations ?? 250;
  const tolerance = options.tolerance ?? 1e-5;
  for (let iter = 0; iter < maxIterations; iter++) {
    const mAlpha = m.map((row) => row.reduce((s, v, k) => s + v * alpha[k]!, 0));
    let t = 0;
    for (let k = 1; k < n; k++) if (mAlpha[k]! < mAlpha[t]!) t = k;
    const v1v1 = alpha.reduce((s, a, k) => s + a * mAlpha[k]!, 0);
    const v1v2 = mAlpha[t]!;
    const v2v2 = m[t]![t]!;
    const { gamma } = minNormOfTwo(v1v1, v1v2, v2v2, false);
    const next = alpha.map((a) => gamma * a);
    next[t]! += 1 - gamma;
    const change = next.reduce((s, a, k) => s + Math.abs(a - alpha[k]!), 0);
    if (change < tolerance) return alpha;
    alpha = next;
  }
  return alpha;
}

/**
 * min over γ ∈ [0, 1] of ‖γ v1 + (1 − γ) v2‖² from v1·v1, v1·v2, v2·v2:
 * γ = (v2·v2 − v1·v2)/‖v1 − v2‖². The reference clips the dominated cases to 0.999 and
 * 0.001 instead of 1 and 0; `exact` gives 1 and 0.
 */
export function minNormOfTwo(v1v1: number, v1v2: number, v2v2: number, exact = false): { gamma: number; cost: number } {
  if (v1v2 >= v1v1) return { gamma: exact ? 1 : 0.999, cost: v1v1 };
  if (v1v2 >= v2v2) return { gamma: exact ? 0 : 0.001, cost: v2v2 };
  const gamma = (v2v2 - v1v2) / (v1v1 + v2v2 - 2 * v1v2);
  return { gamma, cost: v2v2 + gamma * (v1v2 - v2v2) };
}
