import { solveBoundedQP, type QPSolution } from './boundedQP.js';
import type { Matrix } from './matrix.js';

/**
 * Minimise ½ xᵀQx + cᵀx subject to x ≥ lower, for a symmetric positive semi-definite
 * Q, exactly (active set, see {@link solveBoundedQP}). UPGrad's projection
 * min_v vᵀMv s.t. v ≥ u is `solveBoxQP(M, zeros, u)`.
 *
 * @example
 * solveBoxQP([[1, 0], [0, 1]], [0, 0], [1, -1]).x; // → [1, 0]
 */
export function solveBoxQP(q: Matrix, c: readonly number[], lower: readonly number[]): QPSolution {
  return solveBoundedQP(q, c, lower);
}
