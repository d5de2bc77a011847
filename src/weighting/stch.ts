import { softmax } from '../linalg/softmax.js';
import { requireLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link smoothTchebycheff}. */
export interface SmoothTchebycheffOptions {
  /** Smoothing parameter μ of the log-sum-exp (μ → 0 gives the max). @defaultValue 1 */
  smoothing: number;
  /** Epochs of the warm-up (log-loss) phase before the nadir vector is fixed. @defaultValue 4 */
  warmupEpochs: number;
}

/** State of {@link smoothTchebycheff}. */
export interface SmoothTchebycheffState {
  /** Epochs ended so far. */
  epochsEnded: number;
  /** Epoch-mean losses of epoch `warmupEpochs` (the nadir point n); null until then. */
  nadir: number[] | null;
}

const tiny = 1e-20;

/**
 * Smooth Tchebycheff scalarisation (STCH). Lin, Zhang, Yang, Liu, Wang & Zhang, "Smooth
 * Tchebycheff Scalarization for Multi-Objective Optimization", ICML 2024:
 * g_μ(x) = μ log Σ_t exp(λ_t (f_t(x) − z*_t)/μ).
 *
 * What is implemented is the authors' multi-task code (as in LibMTL): with uniform
 * preferences λ_t = 1, objectives f_t = log(L_t/n_t) (losses normalised by a nadir point
 * n) and ideal point z* = 0, the loss T·μ·log Σ_t exp(log(L_t/n_t + 1e-20)/μ). Epochs
 * 0 … warmupEpochs train Σ_t log(L_t + 1e-20); n is the epoch-mean loss of epoch
 * `warmupEpochs` (given to `endEpoch`); STCH starts the epoch after.
 *
 * As loss weights (Σ w_t L_t with the same gradient): warm-up w_t = 1/(L_t + 1e-20);
 * then w_t = T · softmax_t(ℓ/μ) / (L_t + 1e-20·n_t) with ℓ_t = log(L_t/n_t + 1e-20).
 */
export const smoothTchebycheff: WeightingMethod<SmoothTchebycheffState, SmoothTchebycheffOptions> = {
  name: 'stch',
  description: 'Smooth Tchebycheff scalarisation of log nadir-normalised losses, μ = 1 (Lin et al., ICML 2024).',
  needs: 'losses',
  balancesScales: true,
  gradientModes: [],
  resolveOptions(options) {
    checkOptionKeys('stch', options, ['smoothing', 'warmupEpochs']);
    return {
      smoothing: numberOption('stch', options, 'smoothing', 1, { min: Number.MIN_VALUE }),
      warmupEpochs: numberOption('stch', options, 'warmupEpochs', 4, { min: 0, integer: true }),
    };
  },
  init: () => ({ epochsEnded: 0, nadir: null }),
  update(input, state, options) {
    const losses = requireLosses('stch', input);
    const nadir = state.nadir;
    if (nadir === null) return { weights: losses.map((l) => 1 / (l + tiny)), state };
    const t = losses.length;
    const logs = losses.map((l, k) => Math.log(l / nadir[k]! + tiny));
    const p = softmax(logs.map((v) => v / options.smoothing));
    return { weights: losses.map((l, k) => (t * p[k]!) / (l + tiny * nadir[k]!)), state };
  },
  endEpoch(epochLosses, state, options) {
    const nadir = state.nadir ?? (state.epochsEnded === options.warmupEpochs ? [...epochLosses] : null);
    return { epochsEnded: state.epochsEnded + 1, nadir };
  },
};
