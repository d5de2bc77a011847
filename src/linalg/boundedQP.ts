import { MtlError } from '../errors.js';
import type { Matrix } from './matrix.js';
import { symmetricEigen } from './symmetricEigen.js';

/** Options of {@link solveBoundedQP}. */
export interface BoundedQPOptions {
  /** When set, also require Σ_i x_i = sum (with x ≥ lower this is a scaled, shifted simplex). */
  sum?: number;
  /**
   * Iteration cap of the active-set loop; the best feasible point so far is returned
   * (with `converged: false`) when it is reached.
   * @defaultValue 50·n + 100
   */
  maxIterations?: number;
}

/** Result of a bounded quadratic program. */
export interface QPSolution {
  /** The minimiser. */
  x: number[];
  /** Whether the KKT conditions were met before the iteration cap. */
  converged: boolean;
  iterations: number;
}

/**
 * Minimise ½ xᵀQx + cᵀx subject to x ≥ lower (and optionally Σ x = sum), for a
 * symmetric positive SEMI-definite Q, by a primal active-set method (Nocedal &
 * Wright, "Numerical Optimization", 2nd ed., §16.5). On each face the step is the exact
 * minimiser of the quadratic restricted to the free variables, found from an
 * eigen-decomposition of the (projected) free block, so singular Gramians are handled:
 * a direction of zero curvature along which the objective decreases is followed to the
 * nearest bound. The answer is exact to rounding (no step sizes, no tolerances on the
 * objective), which is what UPGrad and the CAGrad dual need.
 *
 * Throws an MtlError (`linalg.unbounded_qp`) when the objective is unbounded below on
 * the feasible set, and (`linalg.infeasible_qp`) when Σ lower > sum.
 */
export function solveBoundedQP(q: Matrix, c: readonly number[], lower: readonly number[], options: BoundedQPOptions = {}): QPSolution {
  const n = c.length;
  if (q.length !== n || q.some((row) => row.length !== n) || lower.length !== n) {
    throw new MtlError({
      code: 'linalg.shape',
      path: 'solveBoundedQP(q, c, lower)',
      expected: `an n×n matrix, and two vectors of n = ${n}`,
      found: `${q.length} rows and a lower bound of ${lower.length}`,
    });
  }
  const equality = options.sum !== undefined;
  const maxIterations = options.maxIterations ?? 50 * n + 100;
  if (n === 0) return { x: [], converged: true, iterations: 0 };

  // Work on a unit-scale copy: the minimiser does not change when Q and c are scaled together.
  let scale = 0;
  for (const row of q) for (const v of row) scale = Math.max(scale, Math.abs(v));
  for (const v of c) scale = Math.max(scale, Math.abs(v));
  const qs = q.map((row) => row.map((v) => (scale > 0 ? v / scale : 0)));
  const cs = c.map((v) => (scale > 0 ? v / scale : 0));

  const x = [...lower];
  const active = new Array<boolean>(n).fill(true);
  if (equality) {
    const slack = options.sum! - lower.reduce((s, v) => s + v, 0);
    if (slack < -1e-12 * Math.max(1, Math.abs(options.sum!))) {
      throw new MtlError({
        code: 'linalg.infeasible_qp',
        path: 'solveBoundedQP(options.sum)',
        expected: `sum ≥ Σ lower = ${options.sum! - slack}`,
        found: `sum = ${options.sum}`,
      });
    }
    for (let i = 0; i < n; i++) {
      x[i] = lower[i]! + Math.max(slack, 0) / n;
      active[i] = false;
    }
  }
  if (scale === 0) return { x, converged: true, iterations: 0 };

  const gradient = (): number[] => qs.map((row, i) => row.reduce((s, v, j) => s + v * x[j]!, cs[i]!));
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const g = gradient();
    const free: number[] = [];
    for (let i = 0; i < n; i++) if (!active[i]) free.push(i);
    const step = faceStep(qs, g, free, equality);
    const xScale = 1 + x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const stepSize = step.p.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (!step.unbounded && stepSize <= 1e-13 * xScale) {
      // Stationary on this face: check the multipliers of the active bounds.
      let mu = 0;
      if (equality) {
        if (free.length > 0) mu = free.reduce((s, i) => s + g[i]!, 0) / free.length;
        else mu = Math.min(...g);
      }
      const gScale = 1 + g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let release = -1;
      let most = -1e-12 * gScale;
      for (let i = 0; i < n; i++) {
        if (active[i] && g[i]! - mu < most) {
          most = g[i]! - mu;
          release = i;
        }
      }
      if (release < 0) return { x, converged: true, iterations };
      active[release] = false;
      continue;
    }
    // Ratio test: the longest step along p that keeps x ≥ lower.
    let alpha = step.unbounded ? Infinity : 1;
    let blocking = -1;
    for (const i of free) {
      const pi = step.p[i]!;
      if (pi < 0) {
        const t = (lower[i]! - x[i]!) / pi;
        if (t < alpha) {
          alpha = Math.max(t, 0);
          blocking = i;
        }
      }
    }
    if (alpha === Infinity) {
      throw new MtlError({
        code: 'linalg.unbounded_qp',
        path: 'solveBoundedQP(q, c)',
        expected: 'an objective bounded below on the feasible set',
        found: 'a direction of zero curvature along which it decreases without bound',
      });
    }
    for (const i of free) x[i]! += alpha * step.p[i]!;
    if (blocking >= 0) {
      x[blocking] = lower[blocking]!;
      active[blocking] = true;
    }
  }
  return { x, converged: false, iterations };
}

/**
 * The step p (zero off the free set F) that minimises the quadratic model
 * ½pᵀQp + gᵀp on the face, with Σ p = 0 when the sum is fixed. Returns a descent
 * direction of zero curvature (`unbounded`) when the model has no minimiser.
 */
function faceStep(q: Matrix, g: readonly number[], free: readonly number[], equality: boolean): { p: number[]; unbounded: boolean } {
  const n = g.length;
  const p = new Array<number>(n).fill(0);
  const k = free.length;
  if (k === 0 || (equality && k === 1)) return { p, unbounded: false };
  // H = P Q_FF P and r = P g_F, with P = I − 11ᵀ/k the projection onto Σ p = 0 (P = I without the sum).
  const project = (v: number[]): number[] => {
    if (!equality) return v;
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    return v.map((x) => x - mean);
  };
  let h = free.map((i) => free.map((j) => q[i]![j]!));
  if (equality) {
    h = h.map((row) => project(row));
    h = h[0]!.map((_, j) => project(h.map((row) => row[j]!))); // columns projected, h symmetric
    h = h[0]!.map((_, i) => h.map((row) => row[i]!));
  }
  const r = project(free.map((i) => g[i]!));
  const { values, vectors } = symmetricEigen(h);
  const top = Math.max(Math.abs(values[0] ?? 0), Math.abs(values[values.length - 1] ?? 0));
  const curvatureTolerance = 1e-12 * Math.max(top, 1e-300);
  const step = new Array<number>(k).fill(0);
  const descent = new Array<number>(k).fill(0);
  for (let e = 0; e < k; e++) {
    const v = vectors[e]!;
    const vr = v.reduce((s, x, i) => s + x * r[i]!, 0);
    if (values[e]! > curvatureTolerance) {
      for (let i = 0; i < k; i++) step[i]! -= (vr / values[e]!) * v[i]!;
    } else {
      for (let i = 0; i < k; i++) descent[i]! -= vr * v[i]!;
    }
  }
  const flat = project(descent);
  const flatNorm = Math.sqrt(flat.reduce((s, x) => s + x * x, 0));
  const rNorm = Math.sqrt(r.reduce((s, x) => s + x * x, 0));
  if (flatNorm > 1e-10 * Math.max(rNorm, 1e-300) && flatNorm > 1e-14) {
    free.forEach((i, a) => (p[i] = flat[a]!));
    return { p, unbounded: true };
  }
  const projected = project(step);
  free.forEach((i, a) => (p[i] = projected[a]!));
  return { p, unbounded: false };
}
