import { softmax } from '../linalg/softmax.js';
import { projectOntoSimplex } from '../linalg/projectOntoSimplex.js';
import { requireGradients, requireNonNegativeLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, choiceOption, numberOption } from './options.js';

/** Options of {@link moco}. */
export interface MocoOptions {
  /** Tracking rate β of y_t ← y_t − β_k(y_t − g_t). @defaultValue 0.5 */
  trackingRate: number;
  /** Decay σ of the tracking rate, β_k = β / k^σ. @defaultValue 0.5 */
  trackingDecay: number;
  /** Step size γ of the weight update. @defaultValue 0.1 */
  weightLearningRate: number;
  /** Decay σ of that step size, γ_k = γ / k^σ. @defaultValue 0.5 */
  weightLearningRateDecay: number;
  /** ρ of the ℓ2 term: λ ← P(λ − γ_k (YYᵀ + ρI) λ). @defaultValue 0 */
  regularization: number;
  /** `projection` onto the simplex (the paper) or `softmax` of the step (LibMTL's code). @defaultValue 'projection' */
  weightUpdate: 'projection' | 'softmax';
}

/**
 * State of {@link moco}: step count, weights λ, and the tracked gradients y, T Float64Array
 * rows of d (see `methodStateToJson`; number rows read the same), null before the first step.
 */
export interface MocoState {
  step: number;
  lambda: number[];
  tracked: ArrayLike<number>[] | null;
}

/**
 * MoCo, multi-objective gradient correction: tracking variables y_t follow the task
 * gradients (g_t rescaled to norm L_t, as in the reference) to remove the bias of
 * stochastic MGDA; λ takes one projected gradient step on ½λᵀ(YYᵀ + ρI)λ; the update
 * is Yᵀλ. Fernando, Shen, Liu, Chaudhury, Murugesan & Chen, "Mitigating Gradient Bias
 * in Multi-objective Learning: A Provably Convergent Approach", ICLR 2023.
 *
 * The update is returned as `direction` (it combines past gradients); `weights` are λ.
 * Limits: y is T × d numbers in the state (see `db-mtl`); parameters mode only.
 */
export const moco: WeightingMethod<MocoState, MocoOptions> = {
  name: 'moco',
  description: 'MoCo: MGDA-style weights on bias-corrected tracked gradients (Fernando et al., ICLR 2023).',
  needs: 'gradients',
  balancesScales: true,
  gradientModes: ['parameters'],
  resolveOptions(options) {
    checkOptionKeys('moco', options, ['trackingRate', 'trackingDecay', 'weightLearningRate', 'weightLearningRateDecay', 'regularization', 'weightUpdate']);
    return {
      trackingRate: numberOption('moco', options, 'trackingRate', 0.5, { min: 0, max: 1 }),
      trackingDecay: numberOption('moco', options, 'trackingDecay', 0.5, { min: 0 }),
      weightLearningRate: numberOption('moco', options, 'weightLearningRate', 0.1, { min: 0 }),
      weightLearningRateDecay: numberOption('moco', options, 'weightLearningRateDecay', 0.5, { min: 0 }),
      regularization: numberOption('moco', options, 'regularization', 0, { min: 0 }),
      weightUpdate: choiceOption('moco', options, 'weightUpdate', ['projection', 'softmax'] as const, 'projection'),
    };
  },
  init: (context) => ({ step: 0, lambda: context.taskNames.map(() => 1 / context.taskNames.length), tracked: null }),
  update(input, state, options) {
    const rows = requireGradients('moco', input);
    requireNonNegativeLosses('moco', input, 'MoCo scales each normalised gradient by its loss');
    const t = rows.length;
    const d = rows[0]!.length;
    const step = state.step + 1;
    const beta = options.trackingRate / Math.pow(step, options.trackingDecay);
    const gamma = options.weightLearningRate / Math.pow(step, options.weightLearningRateDecay);
    // One indexed pass per task for y_t and its products with y_1 … y_t (YYᵀ is symmetric).
    const tracked: Float64Array[] = [];
    const yy = rows.map(() => new Array<number>(t).fill(0));
    for (let i = 0; i < t; i++) {
      const row = rows[i]!;
      let n = 0;
      for (let k = 0; k < d; k++) n += row[k]! * row[k]!;
      const scale = input.losses[i]! / (Math.sqrt(n) + 1e-8);
      const old = state.tracked?.[i] || new Float64Array(d);
      const y = new Float64Array(d);
      let squares = 0;
      for (let k = 0; k < d; k++) {
        const v = old[k]! - beta * (old[k]! - row[k]! * scale);
        y[k] = v;
        squares += v * v;
      }
      for (let j = 0; j < i; j++) {
        const other = tracked[j]!;
        let s = 0;
        for (let k = 0; k < d; k++) s += y[k]! * other[k]!;
        yy[i]![j] = s;
        yy[j]![i] = s;
      }
      yy[i]![i] = squares;
      tracked.push(y);
    }
    const stepped = state.lambda.map(
      (l, i) => l - gamma * (yy[i]!.reduce((s, v, j) => s + v * state.lambda[j]!, 0) + options.regularization * l),
    );
    const lambda = options.weightUpdate === 'softmax' ? softmax(stepped) : projectOntoSimplex(stepped);
    const direction = new Float32Array(d);
    for (let i = 0; i < t; i++) {
      const l = lambda[i]!;
      const y = tracked[i]!;
      for (let k = 0; k < d; k++) direction[k]! += l * y[k]!;
    }
    return { weights: lambda, direction, state: { step, lambda, tracked } };
  },
};
