import { MtlError } from '../errors.js';
import type { Matrix } from './matrix.js';
import type { Vector } from './vector.js';

/** Options of {@link solve}. */
export interface SolveOptions {
  /**
   * A pivot whose magnitude is at most this fraction of the largest |A_ij| counts as
   * zero, and the matrix as singular.
   * @defaultValue 1e-13
   */
  singularTolerance?: number;
}

/**
 * Solve the square linear system A x = b by Gaussian elimination with partial
 * (row) pivoting. Throws an MtlError with code `linalg.singular_matrix` when A is
 * singular to working precision, so callers can regularise and retry.
 *
 * @example
 * solve([[2, 1], [1, 3]], [3, 5]); // → [0.8, 1.4]
 */
export function solve(a: Matrix, b: Vector, options: SolveOptions = {}): number[] {
  const n = a.length;
  if (b.length !== n || a.some((row) => row.length !== n)) {
    throw new MtlError({
      code: 'linalg.shape',
      path: 'solve(a, b)',
      expected: `a square matrix and a vector of the same size (${n})`,
      found: `${n} rows of lengths [${a.map((r) => r.length).join(', ')}] and a vector of ${b.length}`,
    });
  }
  const tolerance = options.singularTolerance ?? 1e-13;
  // Augmented copy [A | b].
  const m = a.map((row, i) => [...row, b[i]!]);
  let scale = 0;
  for (const row of a) for (const x of row) scale = Math.max(scale, Math.abs(x));
  const threshold = tolerance * scale;
  for (let col = 0; col < n; col++) {
    let pivotRow = col;
    let best = Math.abs(m[col]![col]!);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(m[r]![col]!);
      if (v > best) {
        best = v;
        pivotRow = r;
      }
    }
    if (!(best > threshold)) {
      throw new MtlError({
        code: 'linalg.singular_matrix',
        path: 'solve(a, b)',
        expected: 'a non-singular matrix',
        found: `a zero pivot (|pivot| = ${best}) in column ${col}`,
        fix: 'regularise the matrix (add a small multiple of the identity) and solve again',
      });
    }
    if (pivotRow !== col) [m[col], m[pivotRow]] = [m[pivotRow]!, m[col]!];
    const pivot = m[col]!;
    for (let r = col + 1; r < n; r++) {
      const row = m[r]!;
      const f = row[col]! / pivot[col]!;
      if (f === 0) continue;
      for (let k = col; k <= n; k++) row[k]! -= f * pivot[k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    const row = m[i]!;
    let s = row[n]!;
    for (let k = i + 1; k < n; k++) s -= row[k]! * x[k]!;
    x[i] = s / row[i]!;
  }
  return x;
}
