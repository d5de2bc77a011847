import type { Matrix } from './matrix.js';
import { quadraticForm } from './matrix.js';
import { solveSimplexQP } from './solveSimplexQP.js';

/** Result of {@link minimizeLinearPlusNorm}. */
export interface LinearPlusNormSolution {
  /** The minimiser on the simplex. */
  w: number[];
  /** sqrt(wᵀMw) at the minimiser (‖Σ w_t g_t‖ when M is a Gramian). */
  norm: number;
}

/**
 * Minimise bᵀw + k·sqrt(wᵀMw) over the probability simplex, for a positive
 * semi-definite M and k ≥ 0: the dual of CAGrad (Liu, Liu, Jin, Stone & Liu,
 * "Conflict-Averse Gradient Descent for Multi-task Learning", NeurIPS 2021), with
 * b = M·1/T and k = c‖g0‖.
 *
 * Method: sqrt(s) = min_{τ>0} (s/τ + τ)/2, so the problem is min over τ of
 * φ(τ) = min_w bᵀw + (k/2τ) wᵀMw + kτ/2, a convex function of τ whose inner problem is a
 * simplex QP solved exactly ({@link solveSimplexQP}). φ'(τ) has the sign of
 * τ − sqrt(w(τ)ᵀMw(τ)), so the optimal τ (= the optimal norm) is its root, found by
 * the Illinois method (bracketing regula falsi) to relative precision 1e-15. The result is exact up to that; no smoothing
 * (+1e-8 inside the square root, as in the reference code) is used.
 *
 * @example
 * minimizeLinearPlusNorm([[1, 0], [0, 1]], [0.5, 0.5], 0.1).w; // → [0.5, 0.5]
 */
export function minimizeLinearPlusNorm(m: Matrix, b: readonly number[], k: number): LinearPlusNormSolution {
  const n = b.length;
  if (n === 1) return { w: [1], norm: Math.sqrt(Math.max(m[0]![0]!, 0)) };
  const normOf = (w: readonly number[]): number => Math.sqrt(Math.max(quadraticForm(m, w), 0));
  if (!(k > 0)) {
    // Linear program: all mass on the smallest b (split evenly among ties).
    const least = Math.min(...b);
    const spread = Math.abs(least) * 1e-14;
    const ties = b.map((v) => v <= least + spread);
    const count = ties.filter(Boolean).length;
    const w = ties.map((t) => (t ? 1 / count : 0));
    return { w, norm: normOf(w) };
  }
  const inner = (tau: number): number[] => solveSimplexQP(m.map((row) => row.map((v) => (k / tau) * v)), b).x;
  let hi = 0;
  for (let i = 0; i < n; i++) hi = Math.max(hi, Math.sqrt(Math.max(m[i]![i]!, 0)));
  if (hi === 0) return { w: inner(1), norm: 0 };
  // h(τ) = τ − ‖g_{w(τ)}‖ is negative below the optimal τ and non-negative above it.
  let lo = hi * 1e-12;
  const wLo = inner(lo);
  let hLo = lo - normOf(wLo);
  if (hLo >= 0) return { w: wLo, norm: normOf(wLo) };
  let wHi = inner(hi);
  let hHi = hi - normOf(wHi);
  // Illinois (modified regula falsi): superlinear, and always keeps a bracketing interval.
  let side = 0;
  for (let iter = 0; iter < 200 && hi - lo > 1e-15 * hi; iter++) {
    let mid = (lo * hHi - hi * hLo) / (hHi - hLo);
    if (!(mid > lo && mid < hi)) mid = 0.5 * (lo + hi);
    const w = inner(mid);
    const h = mid - normOf(w);
    if (Math.abs(h) <= 1e-15 * hi) return { w, norm: normOf(w) };
    if (h >= 0) {
      hi = mid;
      hHi = h;
      wHi = w;
      if (side === 1) hLo /= 2;
      side = 1;
    } else {
      lo = mid;
      hLo = h;
      if (side === -1) hHi /= 2;
      side = -1;
    }
  }
  return { w: wHi, norm: normOf(wHi) };
}
