/**
 * Small dense matrices as arrays of rows (plain numbers): products, transposes and the
 * Gramian of a set of row vectors. Sizes here are T×T with T the number of tasks, so
 * clarity wins over speed. Every function returns new arrays.
 */
import type { Vector } from './vector.js';

/** A read-only dense matrix, stored as an array of rows. */
export type Matrix = readonly (readonly number[])[];

/** The n×n identity matrix. */
export function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

/** A deep, mutable copy of a matrix. */
export function copyMatrix(a: Matrix): number[][] {
  return a.map((row) => [...row]);
}

/** The transpose Aᵀ. */
export function transpose(a: Matrix): number[][] {
  const rows = a.length;
  const cols = rows === 0 ? 0 : a[0]!.length;
  return Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => a[i]![j]!));
}

/** The matrix-vector product A x; throws a RangeError when the shapes do not match. */
export function matVec(a: Matrix, x: Vector): number[] {
  return a.map((row, i) => {
    if (row.length !== x.length) throw new RangeError(`matVec: row ${i} has ${row.length} entries, x has ${x.length}`);
    let s = 0;
    for (let j = 0; j < row.length; j++) s += row[j]! * x[j]!;
    return s;
  });
}

/** The matrix product A B; throws a RangeError when the inner sizes differ. */
export function matMul(a: Matrix, b: Matrix): number[][] {
  const inner = b.length;
  const cols = inner === 0 ? 0 : b[0]!.length;
  return a.map((row) => {
    if (row.length !== inner) throw new RangeError(`matMul: A has ${row.length} columns, B has ${inner} rows`);
    const out = new Array<number>(cols).fill(0);
    for (let k = 0; k < inner; k++) {
      const aik = row[k]!;
      if (aik === 0) continue;
      const bk = b[k]!;
      for (let j = 0; j < cols; j++) out[j]! += aik * bk[j]!;
    }
    return out;
  });
}

/** The quadratic form xᵀ A x. */
export function quadraticForm(a: Matrix, x: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const row = a[i]!;
    let r = 0;
    for (let j = 0; j < row.length; j++) r += row[j]! * x[j]!;
    s += x[i]! * r;
  }
  return s;
}

/** The Gramian G Gᵀ of the rows g_1 … g_T (each of length d): entry (i, j) is g_i · g_j. */
export function gramianOf(rows: readonly ArrayLike<number>[]): number[][] {
  const n = rows.length;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const a = rows[i]!;
      const b = rows[j]!;
      if (a.length !== b.length) throw new RangeError(`gramianOf: rows ${i} and ${j} have lengths ${a.length} and ${b.length}`);
      let s = 0;
      for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
      out[i]![j] = s;
      out[j]![i] = s;
    }
  }
  return out;
}

/** D A D for the diagonal matrix D = diag(d): entry (i, j) is d_i a_ij d_j. */
export function scaleSymmetric(a: Matrix, d: Vector): number[][] {
  return a.map((row, i) => row.map((x, j) => d[i]! * x * d[j]!));
}

/** The trace Σ_i a_ii. */
export function trace(a: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]![i]!;
  return s;
}

/** The sub-matrix of rows `rows` and columns `cols`. */
export function subMatrix(a: Matrix, rows: readonly number[], cols: readonly number[]): number[][] {
  return rows.map((i) => cols.map((j) => a[i]![j]!));
}

/** P A Pᵀ for the permutation matrix P that puts entry `order[i]` at position i. */
export function permuteSymmetric(a: Matrix, order: readonly number[]): number[][] {
  return subMatrix(a, order, order);
}

/** Check that `a` is a square matrix of size n with finite entries; returns a reason when it is not. */
export function squareMatrixProblem(a: unknown, n?: number): string | undefined {
  if (!Array.isArray(a)) return 'not an array of rows';
  const size = n ?? a.length;
  if (a.length !== size) return `${a.length} rows instead of ${size}`;
  for (let i = 0; i < a.length; i++) {
    const row: unknown = a[i];
    if (!Array.isArray(row) || row.length !== size) return `row ${i} does not have ${size} entries`;
    for (let j = 0; j < size; j++) {
      if (typeof row[j] !== 'number' || !Number.isFinite(row[j])) return `entry (${i}, ${j}) is not a finite number`;
    }
  }
  return undefined;
}
