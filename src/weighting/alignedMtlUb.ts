import { alignedWeights, resolveAlignedOptions, type AlignedMtlOptions } from './alignedMtl.js';
import { requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';

/**
 * Aligned-MTL-UB: Aligned-MTL's rule on the gradients w.r.t. the shared representation
 * (the cheaper upper-bound variant). Senushkin, Patakin, Kuznetsov & Konushin,
 * "Independent Component Alignment for Multi-Task Learning", CVPR 2023. Same rule and
 * options as `aligned-mtl`; it only declares the `representation` gradient mode.
 */
export const alignedMtlUpperBound: WeightingMethod<null, AlignedMtlOptions> = {
  name: 'aligned-mtl-ub',
  description: 'Aligned-MTL-UB: Aligned-MTL on the shared-representation gradients (Senushkin et al., CVPR 2023).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['representation'],
  resolveOptions: (options) => resolveAlignedOptions('aligned-mtl-ub', options),
  init: () => null,
  update: (input, state, options) => ({ weights: alignedWeights(requireGramian('aligned-mtl-ub', input), options), state }),
};
