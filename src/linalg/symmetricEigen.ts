import { MtlError } from '../errors.js';
import type { Matrix } from './matrix.js';

/** Eigen-decomposition of a symmetric matrix: A = Σ_k values[k] · vectors[k] vectors[k]ᵀ. */
export interface SymmetricEigen {
  /** Eigenvalues, in decreasing order. */
  values: number[];
  /** Orthonormal eigenvectors; `vectors[k]` belongs to `values[k]`. */
  vectors: number[][];
}

/**
 * Eigen-decomposition of a small symmetric matrix by the cyclic Jacobi method
 * (rotations until the off-diagonal mass is below 1e-15 of the Frobenius norm, at most
 * 100 sweeps). Accurate to working precision for the T×T Gramians used here. Only the
 * upper triangle is trusted to be symmetric; the mean of A and Aᵀ is decomposed.
 *
 * @example
 * symmetricEigen([[2, 1], [1, 2]]).values; // → [3, 1]
 */
export function symmetricEigen(a: Matrix): SymmetricEigen {
  const n = a.length;
  if (a.some((row) => row.length !== n)) {
    throw new MtlError({
      code: 'linalg.shape',
      path: 'symmetricEigen(a)',
      expected: 'a square matrix',
      found: `${n} rows of lengths [${a.map((r) => r.length).join(', ')}]`,
    });
  }
  const m = a.map((row, i) => row.map((x, j) => 0.5 * (x + a[j]![i]!)));
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let frob = 0;
  for (const row of m) for (const x of row) frob += x * x;
  const target = 1e-30 * frob; // (1e-15 ‖A‖_F)²
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * m[p]![q]! * m[p]![q]!;
    if (off <= target || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p]![q]!;
        if (apq === 0) continue;
        const app = m[p]![p]!;
        const aqq = m[q]![q]!;
        // Rotation angle that zeroes (p, q): tan 2θ = 2 a_pq / (a_qq − a_pp).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k]![p]!;
          const mkq = m[k]![q]!;
          m[k]![p] = c * mkp - s * mkq;
          m[k]![q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p]![k]!;
          const mqk = m[q]![k]!;
          m[p]![k] = c * mpk - s * mqk;
          m[q]![k] = s * mpk + c * mqk;
        }
        m[p]![q] = 0;
        m[q]![p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j]![j]! - m[i]![i]!);
  return {
    values: order.map((k) => m[k]![k]!),
    vectors: order.map((k) => v.map((row) => row[k]!)),
  };
}
