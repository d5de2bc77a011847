import { adamStep, initAdam, type AdamState } from './adamStep.js';
import { checkTaskCount, requireLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link uncertaintyWeighting}. */
export interface UncertaintyWeightingOptions {
  /** Initial log-variance s_t of every task (−0.5 in the MTAN/LibMTL code, 0 in the Nash-MTL code). @defaultValue -0.5 */
  initialLogVariance: number;
  /** Adam learning rate of the log-variances (use the model's to reproduce a joint-optimizer run). @defaultValue 0.001 */
  learningRate: number;
}

/** State of {@link uncertaintyWeighting}: the log-variances s_t and their Adam state. */
export interface UncertaintyWeightingState {
  logVariances: number[];
  adam: AdamState;
}

/**
 * Uncertainty weighting (UW), regression form for every task as in the reference code:
 * L = Σ_t ½e^{−s_t} L_t + ½s_t with learned log-variances s_t. Kendall, Gal & Cipolla,
 * "Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and
 * Semantics", CVPR 2018.
 *
 * The weights are w_t = ½e^{−s_t}. The s_t are learned HERE, not in the model: the
 * gradient of the total loss w.r.t. s_t, ½(1 − e^{−s_t} L_t), depends only on s_t and
 * this step's loss, so an Adam step on s inside `update` is exactly what a joint Adam
 * over model and s would do (Adam is per-parameter), given the same learning rate. The
 * weights of a step are those of s before its update, as in joint training. No trainer
 * support needed; the model's weight decay and learning-rate schedule do not apply to s.
 */
export const uncertaintyWeighting: WeightingMethod<UncertaintyWeightingState, UncertaintyWeightingOptions> = {
  name: 'uncertainty',
  description: 'Uncertainty weighting: w_t = ½e^{−s_t} with learned log-variances s_t (Kendall et al., CVPR 2018).',
  needs: 'losses',
  balancesScales: true,
  gradientModes: [],
  resolveOptions(options) {
    checkOptionKeys('uncertainty', options, ['initialLogVariance', 'learningRate']);
    return {
      initialLogVariance: numberOption('uncertainty', options, 'initialLogVariance', -0.5),
      learningRate: numberOption('uncertainty', options, 'learningRate', 0.001, { min: 0 }),
    };
  },
  init: (context, options) => ({
    logVariances: context.taskNames.map(() => options.initialLogVariance),
    adam: initAdam(context.taskNames.length),
  }),
  update(input, state, options) {
    const losses = requireLosses('uncertainty', input);
    checkTaskCount('uncertainty', state.logVariances.length, losses.length);
    const s = state.logVariances;
    const weights = s.map((v) => 0.5 * Math.exp(-v));
    const grads = s.map((v, t) => 0.5 * (1 - Math.exp(-v) * losses[t]!));
    const next = adamStep(s, grads, state.adam, { learningRate: options.learningRate });
    return { weights, state: { logVariances: next.params, adam: next.state } };
  },
};
