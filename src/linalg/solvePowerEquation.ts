import type { Matrix } from './matrix.js';
import { solve } from './solve.js';

/** Options of {@link solvePowerEquation}. */
export interface PowerEquationOptions {
  /** Newton stops when max_t |(Mw)_t − w_t^{−p}| / w_t^{−p} falls below this. @defaultValue 1e-12 */
  tolerance?: number;
  /** Newton iteration cap. @defaultValue 200 */
  maxIterations?: number;
}

/** Result of {@link solvePowerEquation}. */
export interface PowerEquationSolution {
  w: number[];
  /** max_t |(Mw)_t − w_t^{−p}| / w_t^{−p} at the returned point (on the tasks with a non-zero gradient). */
  residual: number;
  /** The ridge εI that had to be added to M for a solution to exist (0 when none was needed). */
  ridge: number;
}

/**
 * Solve M w = w^{−p} (elementwise power) for w > 0, with M a positive semi-definite
 * Gramian and p > 0. p = 1 is the Nash bargaining solution of Nash-MTL (Navon et al.,
 * ICML 2022); p = 1/α is FairGrad's α-fair allocation (Ban & Ji, ICML 2024).
 *
 * Method: the equation is the stationarity condition of the strictly convex potential
 * f(w) = ½wᵀMw − Σ_t ψ(w_t) with ψ'(w) = w^{−p} (ψ = log for p = 1); f is minimised by
 * damped Newton steps (backtracking on f, staying inside w > 0) to relative residual
 * 1e-12, on M normalised by its mean diagonal (the solution is rescaled back).
 *
 * Degenerate inputs: a task whose gradient is zero (M_tt = 0) has no finite solution
 * (its equation reads 0 = w^{−p}); it gets w_t = 0 and the rest is solved without it.
 * When a positive combination of the gradients vanishes (the point is Pareto
 * stationary, e.g. g2 = −g1), f is unbounded below and no solution exists; the problem
 * is then solved for M + εI with ε = 1e-8 · mean diagonal, which is reported in `ridge`.
 *
 * @example
 * solvePowerEquation([[1, 0], [0, 4]], 1).w; // → [1, 0.5]
 */
export function solvePowerEquation(m: Matrix, p: number, options: PowerEquationOptions = {}): PowerEquationSolution {
  const n = m.length;
  const live: number[] = [];
  for (let i = 0; i < n; i++) if (m[i]![i]! > 0) live.push(i);
  const w = new Array<number>(n).fill(0);
  if (live.length === 0) return { w, residual: 0, ridge: 0 };
  const sub = live.map((i) => live.map((j) => m[i]![j]!));
  const meanDiagonal = live.reduce((s, i) => s + m[i]![i]!, 0) / live.length;
  const normalised = sub.map((row) => row.map((v) => v / meanDiagonal));
  // M w = w^{-p} with M = s·N: w = s^{-1/(1+p)} · v where N v = v^{-p}.
  const back = Math.pow(meanDiagonal, -1 / (1 + p));
  let attempt = newton(normalised, p, 0, options);
  let ridge = 0;
  if (!attempt.converged) {
    ridge = 1e-8;
    attempt = newton(normalised, p, ridge, options);
  }
  live.forEach((i, a) => (w[i] = attempt.v[a]! * back));
  return { w, residual: attempt.residual, ridge: ridge * meanDiagonal };
}

function newton(m: number[][], p: number, ridge: number, options: PowerEquationOptions): { v: number[]; residual: number; converged: boolean } {
  const n = m.length;
  const tolerance = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 200;
  const a = m.map((row, i) => row.map((v, j) => (i === j ? v + ridge : v)));
  const psi = (x: number): number => (p === 1 ? Math.log(x) : Math.pow(x, 1 - p) / (1 - p));
  const f = (v: number[]): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let j = 0; j < n; j++) r += a[i]![j]! * v[j]!;
      s += 0.5 * v[i]! * r - psi(v[i]!);
    }
    return s;
  };
  // Start from the solution for a diagonal M: a_ii v_i = v_i^{-p}.
  let v = a.map((row, i) => Math.pow(row[i]!, -1 / (1 + p)));
  let residual = Infinity;
  for (let iter = 0; iter < maxIterations; iter++) {
    const av = a.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
    const target = v.map((x) => Math.pow(x, -p));
    const r = av.map((x, i) => x - target[i]!);
    residual = Math.max(...r.map((x, i) => Math.abs(x) / target[i]!));
    if (residual <= tolerance) return { v, residual, converged: true };
    const h = a.map((row, i) => row.map((x, j) => (i === j ? x + p * Math.pow(v[i]!, -p - 1) : x)));
    let delta: number[];
    try {
      delta = solve(h, r.map((x) => -x));
    } catch {
      return { v, residual, converged: false };
    }
    // Backtracking: stay in w > 0 (at most 99% of the way to the boundary) and decrease f.
    let t = 1;
    for (let i = 0; i < n; i++) if (delta[i]! < 0) t = Math.min(t, (-0.99 * v[i]!) / delta[i]!);
    const f0 = f(v);
    const slope = r.reduce((s, x, i) => s + x * delta[i]!, 0);
    let next = v.map((x, i) => x + t * delta[i]!);
    const residualOf = (x: number[]): number =>
      Math.max(...a.map((row, i) => Math.abs(row.reduce((s, y, j) => s + y * x[j]!, 0) - Math.pow(x[i]!, -p)) / Math.pow(x[i]!, -p)));
    // Armijo on f; near the solution f is flat to rounding, so a step that keeps f within
    // rounding and lowers the residual is accepted too.
    const acceptable = (x: number[]): boolean => {
      const fx = f(x);
      if (fx <= f0 + 1e-4 * t * slope) return true;
      return fx <= f0 + 1e-13 * (1 + Math.abs(f0)) && residualOf(x) < residual;
    };
    while (!acceptable(next) && t > 1e-20) {
      t *= 0.5;
      next = v.map((x, i) => x + t * delta[i]!);
    }
    if (next.some((x) => !(x > 0) || !Number.isFinite(x))) return { v, residual, converged: false };
    if (Math.max(...next.map((x) => x)) > 1e150) return { v: next, residual, converged: false };
    v = next;
  }
  return { v, residual, converged: residual <= Math.sqrt(tolerance) };
}
