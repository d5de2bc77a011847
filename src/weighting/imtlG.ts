import { solve } from '../linalg/solve.js';
import type { Matrix } from '../linalg/matrix.js';
import { MtlError } from '../errors.js';
import { gradientNorms, requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { noOptions } from './options.js';

/**
 * IMTL-G's weights from the Gramian: u_t = g_t/‖g_t‖, D = [g_1 − g_t]_{t≥2},
 * U = [u_1 − u_t]_{t≥2}, α_{2:T} = g_1 Uᵀ (D Uᵀ)⁻¹, α_1 = 1 − Σ α_{2:T}, with
 * (g_1 − g_t)·(u_1 − u_s) = M_11/n_1 − M_1s/n_s − M_t1/n_1 + M_ts/n_s and
 * g_1·(u_1 − u_s) = M_11/n_1 − M_1s/n_s. When D Uᵀ is singular, 1e-8·I is added (as the
 * paper's code does). A task whose gradient is zero gets weight 0 (see below).
 */
export function imtlGradientWeights(gramian: Matrix): number[] {
  // A task with a zero gradient puts no constraint on d (its u_t is undefined): it gets
  // weight 0 and the rule runs on the others; with no non-zero gradient, α = 1/T.
  const all = gradientNorms(gramian);
  const live = all.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);
  if (live.length === 0) return all.map(() => 1 / all.length);
  if (live.length < all.length) {
    const sub = imtlGradientWeights(live.map((i) => live.map((j) => gramian[i]![j]!)));
    const out = all.map(() => 0);
    live.forEach((i, a) => (out[i] = sub[a]!));
    return out;
  }
  const m = gramian;
  const t = m.length;
  if (t === 1) return [1];
  const n = all;
  const over = (i: number, s: number): number => m[i]![s]! / n[s]!; // g_i · u_s
  const rhs = Array.from({ length: t - 1 }, (_, a) => over(0, 0) - over(0, a + 1));
  // A[a][b] = (g_1 − g_{a+1})·(u_1 − u_{b+1}); α_{2:T} A = rhs, i.e. Aᵀ α = rhs.
  const a = Array.from({ length: t - 1 }, (_, i) =>
    Array.from({ length: t - 1 }, (_, j) => over(0, 0) - over(0, j + 1) - over(i + 1, 0) + over(i + 1, j + 1)),
  );
  const at = a.map((row, i) => row.map((_, j) => a[j]![i]!));
  let rest: number[];
  try {
    rest = solve(at, rhs);
  } catch (e) {
    if (!(e instanceof MtlError) || e.code !== 'linalg.singular_matrix') throw e;
    rest = solve(
      at.map((row, i) => row.map((v, j) => (i === j ? v + 1e-8 : v))),
      rhs,
      { singularTolerance: 0 },
    );
  }
  return [1 - rest.reduce((s, v) => s + v, 0), ...rest];
}

/**
 * IMTL-G, the gradient half of Impartial Multi-Task Learning: the update d = Σ α_t g_t
 * (Σ α = 1) has equal projections on every task's unit gradient, d·u_1 = … = d·u_T.
 * Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, "Towards Impartial Multi-task
 * Learning", ICLR 2021.
 */
export const impartialGradient: WeightingMethod<null, Record<string, never>> = {
  name: 'imtl-g',
  description: 'IMTL-G: the combination of the task gradients with equal projections on every unit gradient (Liu et al., ICLR 2021).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['parameters', 'representation'],
  resolveOptions: (options) => noOptions('imtl-g', options),
  init: () => null,
  update: (input, state) => ({ weights: imtlGradientWeights(requireGramian('imtl-g', input)), state }),
};
