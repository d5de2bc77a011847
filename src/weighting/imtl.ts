import { initAdam } from './adamStep.js';
import { imtlGradientWeights } from './imtlG.js';
import {
  impartialLossStep,
  resolveImpartialLossOptions,
  type ImpartialLossScalingOptions,
  type ImpartialLossScalingState,
} from './imtlL.js';
import { checkTaskCount, requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';

/**
 * IMTL, Impartial Multi-Task Learning (hybrid): the losses are scaled as in IMTL-L
 * (e^{s_t} L_t − s_t, s learned), and IMTL-G is applied to the gradients of the scaled
 * losses, e^{s_t} g_t, whose Gramian is diag(e^s) M diag(e^s). With α from IMTL-G the
 * update is Σ α_t e^{s_t} g_t, so the weights on the raw gradients are α_t e^{s_t}.
 * Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, "Towards Impartial Multi-task
 * Learning", ICLR 2021. The scales are learned here by Adam (see `imtl-l`).
 */
export const impartialMultitask: WeightingMethod<ImpartialLossScalingState, ImpartialLossScalingOptions> = {
  name: 'imtl',
  description: 'IMTL: IMTL-L loss scales with IMTL-G on the scaled gradients (Liu et al., ICLR 2021).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['parameters', 'representation'],
  resolveOptions: (options) => resolveImpartialLossOptions('imtl', options),
  init: (context) => ({ scales: context.taskNames.map(() => 0), adam: initAdam(context.taskNames.length) }),
  update(input, state, options) {
    const m = requireGramian('imtl', input);
    checkTaskCount('imtl', state.scales.length, m.length);
    const e = state.scales.map(Math.exp);
    const scaled = m.map((row, i) => row.map((v, j) => e[i]! * v * e[j]!));
    const alpha = imtlGradientWeights(scaled);
    return { weights: alpha.map((a, t) => a * e[t]!), state: impartialLossStep(input.losses, state, options) };
  },
};
