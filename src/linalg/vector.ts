/**
 * Dense vectors as plain number arrays: the handful of operations the T×T solvers and
 * the weighting methods need. Every function returns a new array and never mutates
 * its inputs.
 */

/** A read-only dense vector. */
export type Vector = readonly number[];

/** The dot product Σ_i a_i b_i; throws a RangeError when the lengths differ. */
export function dot(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new RangeError(`dot: lengths differ (${a.length} and ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The Euclidean norm ‖a‖₂. */
export function norm(a: Vector): number {
  return Math.sqrt(dot(a, a));
}

/** The sum Σ_i a_i. */
export function sum(a: Vector): number {
  let s = 0;
  for (const x of a) s += x;
  return s;
}

/** Elementwise a + b. */
export function add(a: Vector, b: Vector): number[] {
  if (a.length !== b.length) throw new RangeError(`add: lengths differ (${a.length} and ${b.length})`);
  return a.map((x, i) => x + b[i]!);
}

/** Elementwise a − b. */
export function subtract(a: Vector, b: Vector): number[] {
  if (a.length !== b.length) throw new RangeError(`subtract: lengths differ (${a.length} and ${b.length})`);
  return a.map((x, i) => x - b[i]!);
}

/** The vector s·a. */
export function scale(a: Vector, s: number): number[] {
  return a.map((x) => x * s);
}

/** A vector of n copies of `value`. */
export function filled(n: number, value: number): number[] {
  return new Array<number>(n).fill(value);
}

/** The largest |a_i| (0 for an empty vector). */
export function maxAbs(a: Vector): number {
  let m = 0;
  for (const x of a) m = Math.max(m, Math.abs(x));
  return m;
}
