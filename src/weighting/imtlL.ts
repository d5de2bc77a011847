import { adamStep, initAdam, type AdamState } from './adamStep.js';
import { checkTaskCount, requireLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link impartialLossScaling} (and of the loss half of `imtl`). */
export interface ImpartialLossScalingOptions {
  /** Adam learning rate of the scales s_t (use the model's to reproduce a joint-optimizer run). @defaultValue 0.001 */
  learningRate: number;
}

/** State of {@link impartialLossScaling}: the log-scales s_t (init 0) and their Adam state. */
export interface ImpartialLossScalingState {
  scales: number[];
  adam: AdamState;
}

/** Resolve the IMTL-L options (shared with `imtl`). */
export function resolveImpartialLossOptions(method: string, options: Record<string, unknown> | undefined): ImpartialLossScalingOptions {
  checkOptionKeys(method, options, ['learningRate']);
  return { learningRate: numberOption(method, options, 'learningRate', 0.001, { min: 0 }) };
}

/** One IMTL-L step: the scales' gradient e^{s_t} L_t − 1 and an Adam step on s. */
export function impartialLossStep(
  losses: readonly number[],
  state: ImpartialLossScalingState,
  options: ImpartialLossScalingOptions,
): ImpartialLossScalingState {
  const grads = state.scales.map((s, t) => Math.exp(s) * losses[t]! - 1);
  const next = adamStep(state.scales, grads, state.adam, { learningRate: options.learningRate });
  return { scales: next.params, adam: next.state };
}

/**
 * IMTL-L, the loss half of Impartial Multi-Task Learning: each task's loss is scaled to
 * e^{s_t} L_t − s_t with a learned s_t, which drives every scaled loss towards 1
 * (∂/∂s_t = e^{s_t} L_t − 1). Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, "Towards
 * Impartial Multi-task Learning", ICLR 2021.
 *
 * The weights are w_t = e^{s_t}; s is learned here by an Adam step on that gradient
 * (exact, since the gradient involves only s_t and L_t; see `uncertainty`). No trainer
 * support needed; the model's weight decay and schedule do not apply to s.
 */
export const impartialLossScaling: WeightingMethod<ImpartialLossScalingState, ImpartialLossScalingOptions> = {
  name: 'imtl-l',
  description: 'IMTL-L: learned loss scales e^{s_t} L_t − s_t (Liu et al., ICLR 2021).',
  needs: 'losses',
  balancesScales: true,
  gradientModes: [],
  resolveOptions: (options) => resolveImpartialLossOptions('imtl-l', options),
  init: (context) => ({ scales: context.taskNames.map(() => 0), adam: initAdam(context.taskNames.length) }),
  update(input, state, options) {
    const losses = requireLosses('imtl-l', input);
    checkTaskCount('imtl-l', state.scales.length, losses.length);
    return { weights: state.scales.map((s) => Math.exp(s)), state: impartialLossStep(losses, state, options) };
  },
};
