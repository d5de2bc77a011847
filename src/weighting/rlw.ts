import { softmax } from '../linalg/softmax.js';
import { Random, type RandomState } from '../random/random.js';
import { requireLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { noOptions } from './options.js';

/** State of {@link randomLossWeighting}: the generator's state, so a resumed run draws the same weights. */
export interface RandomLossWeightingState {
  random: RandomState;
}

/**
 * Random loss weighting (RLW): every step, w = softmax(z) with z ~ N(0, I) drawn from
 * the seeded generator (the weights sum to 1). Lin, Ye, Xu, Shi & Zhang, "Reasonable
 * Effectiveness of Random Weighting: A Litmus Test for Multi-Task Learning", TMLR 2022.
 * No options (the reference's other sampling distributions are not offered).
 */
export const randomLossWeighting: WeightingMethod<RandomLossWeightingState, Record<string, never>> = {
  name: 'rlw',
  description: 'Random loss weighting: w = softmax(z), z ~ N(0, I) each step (Lin et al., TMLR 2022).',
  needs: 'losses',
  balancesScales: false,
  gradientModes: [],
  resolveOptions: (options) => noOptions('rlw', options),
  init: (context) => ({ random: new Random(context.seed).state() }),
  update(input, state) {
    const t = requireLosses('rlw', input).length;
    const random = new Random(state.random);
    const z = Array.from({ length: t }, () => random.normal());
    return { weights: softmax(z), state: { random: random.state() } };
  },
};
