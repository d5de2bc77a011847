import { adamStep, initAdam, type AdamState } from './adamStep.js';
import { checkTaskCount, gradientNorms, requireGramian, requireNonNegativeLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link gradientNormalization}. */
export interface GradNormOptions {
  /** α, the strength of the restoring force towards a common training rate (1.5 on NYUv2, 0.12 on the synthetic regression). @defaultValue 1.5 */
  restoringForce: number;
  /** Adam learning rate of the weights (the reference trains them with the model's optimizer). @defaultValue 0.001 */
  learningRate: number;
}

/** State of {@link gradientNormalization}: the weights (Σ = T), their Adam state, and L_t(0). */
export interface GradNormState {
  weights: number[];
  adam: AdamState;
  initialLosses: number[] | null;
}

/** Weights are kept at least this large after each step (Adam can push a weight through 0). */
const floor = 1e-6;

/**
 * GradNorm: learn the task weights so that the weighted gradient norms
 * G_t = w_t‖g_t‖ follow mean(G)·r_t^α, with r_t = (L_t/L_t(0)) / mean_s(L_s/L_s(0)) the
 * relative inverse training rate: L_grad = Σ_t |G_t − sg[mean(G) r_t^α]|, whose gradient
 * w.r.t. w_t is sign(G_t − target_t)·‖g_t‖; one Adam step on w, then Σ w = T. Chen,
 * Badrinarayanan, Lee & Rabinovich, "GradNorm: Gradient Normalization for Adaptive Loss
 * Balancing in Deep Multitask Networks", ICML 2018.
 *
 * The step uses the weights before their update; L_t(0) are the first step's losses.
 * ‖g_t‖ = sqrt(M_tt) from the Gramian: on the shared representation in `representation`
 * mode (LibMTL's variant), on all shared parameters in `parameters` mode. Trainer
 * support for the paper's exact rule: the Gramian diagonal on the LAST shared layer only.
 */
export const gradientNormalization: WeightingMethod<GradNormState, GradNormOptions> = {
  name: 'gradnorm',
  description: 'GradNorm: learn weights that equalise weighted gradient norms by training rate, α = 1.5 (Chen et al., ICML 2018).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['representation', 'parameters'],
  resolveOptions(options) {
    checkOptionKeys('gradnorm', options, ['restoringForce', 'learningRate']);
    return {
      restoringForce: numberOption('gradnorm', options, 'restoringForce', 1.5, { min: 0 }),
      learningRate: numberOption('gradnorm', options, 'learningRate', 0.001, { min: 0 }),
    };
  },
  init: (context) => ({ weights: context.taskNames.map(() => 1), adam: initAdam(context.taskNames.length), initialLosses: null }),
  update(input, state, options) {
    const m = requireGramian('gradnorm', input);
    const t = m.length;
    checkTaskCount('gradnorm', state.weights.length, t);
    requireNonNegativeLosses('gradnorm', input, 'GradNorm raises the loss ratios L_t/L_t(0) to the power α');
    const initialLosses = state.initialLosses ?? [...input.losses];
    const norms = gradientNorms(m);
    const g = state.weights.map((w, i) => w * norms[i]!);
    const meanG = g.reduce((s, v) => s + v, 0) / t;
    const ratios = input.losses.map((l, i) => (initialLosses[i]! > 0 ? l / initialLosses[i]! : 1));
    const meanRatio = ratios.reduce((s, v) => s + v, 0) / t;
    const grads = g.map((gi, i) => {
      const r = meanRatio > 0 ? ratios[i]! / meanRatio : 1;
      return Math.sign(gi - meanG * Math.pow(r, options.restoringForce)) * norms[i]!;
    });
    const next = adamStep(state.weights, grads, state.adam, { learningRate: options.learningRate });
    const clipped = next.params.map((w) => Math.max(w, floor));
    const total = clipped.reduce((s, v) => s + v, 0);
    return {
      weights: [...state.weights],
      state: { weights: clipped.map((w) => (w / total) * t), adam: next.state, initialLosses },
    };
  },
};
