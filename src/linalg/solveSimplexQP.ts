import { solveBoundedQP, type QPSolution } from './boundedQP.js';
import type { Matrix } from './matrix.js';

/**
 * Minimise ½ wᵀQw + cᵀw over the probability simplex {w ≥ 0, Σ w = 1}, for a symmetric
 * positive semi-definite Q, exactly (active set from the uniform point, see
 * {@link solveBoundedQP}). With c = 0 and Q the Gramian this is MGDA's min-norm problem.
 *
 * @example
 * solveSimplexQP([[1, 0], [0, 1]], [0, 0]).x; // → [0.5, 0.5]
 */
export function solveSimplexQP(q: Matrix, c: readonly number[]): QPSolution {
  return solveBoundedQP(q, c, new Array<number>(c.length).fill(0), { sum: 1 });
}
