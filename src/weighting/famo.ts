import { softmax, softmaxVjp } from '../linalg/softmax.js';
import { adamStep, initAdam, type AdamState } from './adamStep.js';
import { checkTaskCount, requireNonNegativeLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link fastAdaptiveMultitaskOptimization}. */
export interface FamoOptions {
  /** Adam learning rate of the task logits ξ. @defaultValue 0.025 */
  learningRate: number;
  /** Weight decay γ of the logits (torch Adam's L2 term). @defaultValue 0.001 */
  weightDecay: number;
}

/** State of {@link fastAdaptiveMultitaskOptimization}: the task logits ξ and their Adam state. */
export interface FamoState {
  logits: number[];
  adam: AdamState;
}

const offset = 1e-8;

/**
 * FAMO, Fast Adaptive Multitask Optimization: O(1)-memory balancing of the per-task
 * rates of loss decrease. Liu, Feng, Stone & Liu, "FAMO: Fast Adaptive Multitask
 * Optimization", NeurIPS 2023.
 *
 * `update`: z = softmax(ξ), D_t = L_t + 1e-8 (the lower bounds L*_t are 0), c = Σ z_t/D_t;
 * the step minimises Σ_t z_t log D_t / c, i.e. loss weights w_t = z_t / (D_t c) (Σ w = 1).
 * `afterStep` (needs the trainer to recompute the losses on the SAME batch after the
 * optimizer step): δ_t = log D_t(before) − log D_t(after), ∇ξ = J_softmax(ξ)ᵀ δ, one Adam
 * step on ξ with weight decay γ. The reference also clips the shared gradient to norm 1
 * (a trainer setting, `clipNorm: 1`).
 */
export const fastAdaptiveMultitaskOptimization: WeightingMethod<FamoState, FamoOptions> = {
  name: 'famo',
  description: 'FAMO: loss-decrease-balancing logits updated after each step (Liu et al., NeurIPS 2023).',
  needs: 'losses',
  balancesScales: true,
  gradientModes: [],
  resolveOptions(options) {
    checkOptionKeys('famo', options, ['learningRate', 'weightDecay']);
    return {
      learningRate: numberOption('famo', options, 'learningRate', 0.025, { min: 0 }),
      weightDecay: numberOption('famo', options, 'weightDecay', 0.001, { min: 0 }),
    };
  },
  init: (context) => ({ logits: context.taskNames.map(() => 0), adam: initAdam(context.taskNames.length) }),
  update(input, state) {
    const losses = requireNonNegativeLosses('famo', input, 'FAMO weighs log(L_t) with the lower bound L*_t = 0');
    checkTaskCount('famo', state.logits.length, losses.length);
    const z = softmax(state.logits);
    const ratios = z.map((zt, t) => zt / (losses[t]! + offset));
    const c = ratios.reduce((s, v) => s + v, 0);
    return { weights: ratios.map((r) => r / c), state };
  },
  afterStep(losses, state, options) {
    checkTaskCount('famo', state.logits.length, losses.before.length);
    requireNonNegativeLosses('famo', { losses: losses.after }, 'FAMO weighs log(L_t) with the lower bound L*_t = 0');
    const delta = losses.before.map((before, t) => Math.log(before + offset) - Math.log(losses.after[t]! + offset));
    const grad = softmaxVjp(state.logits, delta);
    const next = adamStep(state.logits, grad, state.adam, { learningRate: options.learningRate, weightDecay: options.weightDecay });
    return { logits: next.params, adam: next.state };
  },
};
