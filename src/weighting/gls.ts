import { requireLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { noOptions } from './options.js';

/** Losses below this are raised to it before taking logarithms (a loss of exactly 0 has no finite GLS weight). */
export const geometricLossFloor = 1e-12;

/**
 * Geometric loss strategy (GLS): minimise the geometric mean (Π_t L_t)^{1/T}. As loss
 * weights for Σ w_t L_t with the same gradient: w_t = ∂/∂L_t (Π L)^{1/T} =
 * (Π L)^{1/T} / (T·L_t), computed in the log domain (losses floored at 1e-12).
 * Chennupati, Sistu, Yogamani & Rawashdeh, "MultiNet++: Multi-Stream Feature
 * Aggregation and Geometric Loss Strategy for Multi-Task Learning", CVPR Workshops 2019.
 */
export const geometricLossStrategy: WeightingMethod<null, Record<string, never>> = {
  name: 'gls',
  description: 'Geometric loss strategy: minimise (Π L_t)^{1/T}; w_t = (Π L)^{1/T}/(T·L_t) (Chennupati et al., CVPRW 2019).',
  needs: 'losses',
  balancesScales: true,
  gradientModes: [],
  resolveOptions: (options) => noOptions('gls', options),
  init: () => null,
  update(input, state) {
    const losses = requireLosses('gls', input);
    const t = losses.length;
    const logs = losses.map((l) => Math.log(Math.max(l, geometricLossFloor)));
    const meanLog = logs.reduce((s, v) => s + v, 0) / t;
    return { weights: logs.map((l) => Math.exp(meanLog - l) / t), state };
  },
};
