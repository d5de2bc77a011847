import { projectOntoSimplex } from '../linalg/projectOntoSimplex.js';
import { matVec } from '../linalg/matrix.js';
import { solveSimplexQP } from '../linalg/solveSimplexQP.js';
import { checkTaskCount, requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, choiceOption, numberOption } from './options.js';

/** Options of {@link stochasticDirectionOriented}. */
export interface SdmGradOptions {
  /** λ: pull of the update towards the mean gradient g0. @defaultValue 0.3 */
  regularization: number;
  /**
   * `sgd`: the reference's projected momentum-SGD iterations on w, warm-started from the
   * last step (the paper's Algorithm 1 is projected SGD too); `exact`: the exact
   * minimiser of ½‖Gᵀw + λg0‖² over the simplex (the deterministic limit).
   * @defaultValue 'sgd'
   */
  solver: 'sgd' | 'exact';
  /** Projected-SGD iterations on w per step. @defaultValue 20 */
  iterations: number;
  /**
   * Step size of those iterations, on the gradient M̂w + λM̂·1/T of ½‖Gᵀw + λg0‖².
   * 10 is the authors' code, for Meta-World and for NYUv2 / Cityscapes alike: there the
   * gradient is set by hand as `w.grad = GG·w + λ·Gg`, exactly this one, at lr 10, the
   * same step as the default. LibMTL uses the same gradient at lr 5, half the step.
   * @defaultValue 10
   */
  learningRate: number;
  /** Heavy-ball momentum of those iterations (reset every step). @defaultValue 0.5 */
  momentum: number;
}

/** State of {@link stochasticDirectionOriented}: the simplex weights w, warm-started across steps (init 1/T). */
export interface SdmGradState {
  w: number[];
}

/**
 * SDMGrad, stochastic direction-oriented multi-objective gradient descent: w ∈ Δ
 * follows projected SGD on ½‖Gᵀw + λ g0‖² (gradient M̂w + λ M̂·1/T on the Gramian
 * normalised by s² with s = mean_t sqrt(M_tt + 1e-4), as in the reference), and the update is
 * (Gᵀw + λ g0)/(1 + λ), i.e. weights (w_t + λ/T)/(1 + λ). Xiao, Ban & Ji,
 * "Direction-oriented Multi-objective Learning: Simple and Provable Stochastic
 * Algorithms", NeurIPS 2023. Default solver: the authors' code (20 momentum-SGD steps,
 * lr 10, momentum 0.5 reset every step, projected onto the simplex, w kept across
 * steps); with these large steps w often lands on a vertex, which is the reference's
 * behaviour. `solver: 'exact'` solves the w problem exactly instead.
 *
 * Trainer support for the paper's unbiased version: the Gramian in the w-step is a
 * cross-Gramian G_ξ G_ξ'ᵀ of two independent mini-batches, and the update uses a third;
 * with one batch (what this interface gives) the estimate is biased.
 */
export const stochasticDirectionOriented: WeightingMethod<SdmGradState, SdmGradOptions> = {
  name: 'sdmgrad',
  description: 'SDMGrad: MGDA regularised towards the mean gradient, λ = 0.3 (Xiao et al., NeurIPS 2023).',
  needs: 'gramian',
  balancesScales: false,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('sdmgrad', options, ['regularization', 'solver', 'iterations', 'learningRate', 'momentum']);
    return {
      regularization: numberOption('sdmgrad', options, 'regularization', 0.3, { min: 0 }),
      solver: choiceOption('sdmgrad', options, 'solver', ['sgd', 'exact'] as const, 'sgd'),
      iterations: numberOption('sdmgrad', options, 'iterations', 20, { min: 0, integer: true }),
      learningRate: numberOption('sdmgrad', options, 'learningRate', 10, { min: 0 }),
      momentum: numberOption('sdmgrad', options, 'momentum', 0.5, { min: 0, max: 1 }),
    };
  },
  init: (context) => ({ w: context.taskNames.map(() => 1 / context.taskNames.length) }),
  update(input, state, options) {
    const m = requireGramian('sdmgrad', input);
    const t = m.length;
    checkTaskCount('sdmgrad', state.w.length, t);
    const scale = m.reduce((s, row, i) => s + Math.sqrt(Math.max(row[i]! + 1e-4, 0)), 0) / t;
    const mm = m.map((row) => row.map((v) => v / (scale * scale)));
    const pull = matVec(mm, new Array<number>(t).fill(1 / t)).map((v) => options.regularization * v);
    let w = [...state.w];
    let velocity: number[] | null = null;
    if (options.solver === 'exact') {
      w = solveSimplexQP(mm, pull).x;
    } else {
      for (let iter = 0; iter < options.iterations; iter++) {
        const grad = matVec(mm, w).map((v, i) => v + pull[i]!);
        velocity = velocity ? velocity.map((v, i) => options.momentum * v + grad[i]!) : grad;
        w = projectOntoSimplex(w.map((v, i) => v - options.learningRate * velocity![i]!));
      }
    }
    const lambda = options.regularization;
    return { weights: w.map((v) => (v + lambda / t) / (1 + lambda)), state: { w } };
  },
};
