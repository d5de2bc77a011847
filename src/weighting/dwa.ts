import { softmax } from '../linalg/softmax.js';
import { requireLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link dynamicWeightAverage}. */
export interface DynamicWeightAverageOptions {
  /** Softmax temperature T of the loss-ratio weights. @defaultValue 2 */
  temperature: number;
}

/** State of {@link dynamicWeightAverage}: the epoch-mean unweighted losses of the last two epochs (oldest first). */
export interface DynamicWeightAverageState {
  epochLosses: number[][];
}

/**
 * Dynamic Weight Average (DWA): λ_k = K·exp(r_k/T) / Σ_i exp(r_i/T) with
 * r_k = L̄_k(e−1)/L̄_k(e−2), L̄ the epoch mean of the unweighted training loss, K the
 * number of tasks, and λ = 1 for the first two epochs. Liu, Johns & Davison, "End-to-End
 * Multi-Task Learning with Attention", CVPR 2019. Needs `endEpoch` with the epoch-mean
 * losses; a zero epoch mean in the denominator gives ratio 1.
 */
export const dynamicWeightAverage: WeightingMethod<DynamicWeightAverageState, DynamicWeightAverageOptions> = {
  name: 'dwa',
  description: 'Dynamic Weight Average: softmax of epoch loss ratios, temperature 2 (Liu et al., CVPR 2019).',
  needs: 'losses',
  balancesScales: false,
  gradientModes: [],
  resolveOptions(options) {
    checkOptionKeys('dwa', options, ['temperature']);
    return { temperature: numberOption('dwa', options, 'temperature', 2, { min: Number.MIN_VALUE }) };
  },
  init: () => ({ epochLosses: [] }),
  update(input, state, options) {
    const t = requireLosses('dwa', input).length;
    if (state.epochLosses.length < 2) return { weights: new Array<number>(t).fill(1), state };
    const [older, newer] = state.epochLosses.slice(-2) as [number[], number[]];
    const ratios = newer.map((l, k) => (older[k]! === 0 ? 1 : l / older[k]!));
    const weights = softmax(ratios.map((r) => r / options.temperature)).map((p) => t * p);
    return { weights, state };
  },
  endEpoch(epochLosses, state) {
    return { epochLosses: [...state.epochLosses, [...epochLosses]].slice(-2) };
  },
};
