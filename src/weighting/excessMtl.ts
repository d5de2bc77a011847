import { perFeatureRows, requireGradients } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link excessRiskWeighting}. */
export interface ExcessMtlOptions {
  /** Step size η of the exponentiated update w_t ← w_t·exp(η·e_t/e_t(0)). @defaultValue 0.01 */
  stepSize: number;
}

/** State of {@link excessRiskWeighting}. */
export interface ExcessMtlState {
  /** Loss weights (Σ = T), init 1. */
  weights: number[];
  /**
   * AdaGrad accumulator Σ_steps g_t² per task (T rows of d), null before the first step.
   * Float64Array rows (see `methodStateToJson`); a state with number rows reads the same.
   */
  squaredGradientSum: ArrayLike<number>[] | null;
  /** The excess-risk estimates of the first step, null before it. */
  initialExcess: number[] | null;
}

/**
 * ExcessMTL: distributionally robust weighting by each task's EXCESS risk (its distance
 * to its own optimum), estimated as e_t = g_tᵀ H_t⁻¹ g_t with the diagonal AdaGrad
 * preconditioner H_t = sqrt(Σ_steps g_t² + 1e-7); after the first step (which only
 * records e_t(0)), w_t ← w_t · exp(η e_t / e_t(0)), renormalised to Σ w = T; the loss is
 * Σ_t w_t L_t. He, Zhou, Zhang, Yun, Xu, Zeng, Chilimbi & Zhao, "Robust Multi-Task Learning with
 * Excess Risks", ICML 2024; rule as in the authors' LibMTL code.
 *
 * It needs the gradients (not only the Gramian) for the per-coordinate accumulator; the
 * result is a combination of this step's gradients (`weights`). In `representation` mode
 * each row is first summed over the batch (as LibMTL does), so the accumulator has one
 * entry per feature of the representation, the same feature from one batch to the next.
 * Limits: T × d numbers in the state (see `db-mtl`). A task with e_t(0) = 0 gets no
 * update.
 */
export const excessRiskWeighting: WeightingMethod<ExcessMtlState, ExcessMtlOptions> = {
  name: 'excess-mtl',
  description: 'ExcessMTL: exponentiated weights by AdaGrad-estimated excess risk (He et al., ICML 2024).',
  needs: 'gradients',
  balancesScales: false,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('excess-mtl', options, ['stepSize']);
    return { stepSize: numberOption('excess-mtl', options, 'stepSize', 0.01, { min: 0 }) };
  },
  init: (context) => ({ weights: context.taskNames.map(() => 1), squaredGradientSum: null, initialExcess: null }),
  update(input, state, options) {
    const rows = perFeatureRows('excess-mtl', requireGradients('excess-mtl', input), input.representation);
    const t = rows.length;
    const d = rows[0]!.length;
    // One indexed pass per task: the new accumulator row and e_t together.
    const squaredGradientSum: Float64Array[] = [];
    const excess: number[] = [];
    for (let i = 0; i < t; i++) {
      const row = rows[i]!;
      const previous = state.squaredGradientSum?.[i];
      // A missing accumulator (or entry) counts as 0, outside the loop (a JSON null reads as 0 in it).
      const base = previous?.length === d ? previous : Float64Array.from({ length: d }, (_, k) => previous?.[k] ?? 0);
      const sums = new Float64Array(d);
      let e = 0;
      for (let k = 0; k < d; k++) {
        const square = row[k]! * row[k]!;
        const sum = base[k]! + square;
        sums[k] = sum;
        e += square / Math.sqrt(sum + 1e-7);
      }
      squaredGradientSum.push(sums);
      excess.push(e);
    }
    if (state.initialExcess === null) {
      return { weights: [...state.weights], state: { weights: [...state.weights], squaredGradientSum, initialExcess: excess } };
    }
    const initial = state.initialExcess;
    // w_t·exp(η e_t/e_t(0)) in log space, shifted by the largest exponent: the same
    // normalised weights without overflow when the excess ratios grow large.
    const logs = state.weights.map((w, i) => Math.log(w) + (initial[i]! > 0 ? (options.stepSize * excess[i]!) / initial[i]! : 0));
    const top = Math.max(...logs);
    const raised = logs.map((l) => Math.exp(l - top));
    const total = raised.reduce((s, v) => s + v, 0);
    const weights = raised.map((v) => (v / total) * t);
    return { weights, state: { weights, squaredGradientSum, initialExcess: initial } };
  },
};
