import { projectOntoSimplex } from '../linalg/projectOntoSimplex.js';
import { matVec } from '../linalg/matrix.js';
import { checkTaskCount, requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link multiObjectiveDoubleSampling}. */
export interface MoDoOptions {
  /** Step size γ of λ. @defaultValue 0.001 */
  learningRate: number;
  /** ℓ2 term ρ of λ's update. @defaultValue 0.1 */
  regularization: number;
}

/** State of {@link multiObjectiveDoubleSampling}: the weights λ on the simplex (init 1/T). */
export interface MoDoState {
  lambda: number[];
}

/**
 * MoDo, multi-objective gradient with double sampling: λ ← Π_Δ(λ − γ(G₁G₂ᵀλ + ρλ)), then
 * the update G₃ᵀλ. Chen, Fernando, Ying & Chen, "Three-Way Trade-Off in Multi-Objective
 * Learning: Optimization, Generalization and Conflict-Avoidance", NeurIPS 2023.
 *
 * Here G₁ = G₂ = G₃ = this step's gradients (M = GGᵀ). Trainer support for the paper's
 * unbiased version: three independent mini-batches per step, the cross-Gramian G₁G₂ᵀ of
 * the first two for the λ step and the third batch's gradients for the update.
 */
export const multiObjectiveDoubleSampling: WeightingMethod<MoDoState, MoDoOptions> = {
  name: 'modo',
  description: 'MoDo: one projected step on the MGDA weights per iteration (Chen et al., NeurIPS 2023).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('modo', options, ['learningRate', 'regularization']);
    return {
      learningRate: numberOption('modo', options, 'learningRate', 0.001, { min: 0 }),
      regularization: numberOption('modo', options, 'regularization', 0.1, { min: 0 }),
    };
  },
  init: (context) => ({ lambda: context.taskNames.map(() => 1 / context.taskNames.length) }),
  update(input, state, options) {
    const m = requireGramian('modo', input);
    checkTaskCount('modo', state.lambda.length, m.length);
    const ml = matVec(m, state.lambda);
    const lambda = projectOntoSimplex(
      state.lambda.map((l, i) => l - options.learningRate * (ml[i]! + options.regularization * l)),
    );
    return { weights: [...lambda], state: { lambda } };
  },
};
