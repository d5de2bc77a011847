import { mgdaWeights, resolveMgdaOptions, type MgdaOptions } from './mgda.js';
import type { WeightingMethod } from './method.js';

/**
 * MGDA-UB: MGDA's rule on the gradients w.r.t. the shared representation z (one
 * backward pass per task through the heads only), which minimises an upper bound of
 * the MGDA objective. Sener & Koltun, "Multi-Task Learning as Multi-Objective
 * Optimization", NeurIPS 2018, §3.3. Same options as `mgda`; it only differs by
 * declaring the `representation` gradient mode.
 */
export const mgdaUpperBound: WeightingMethod<null, MgdaOptions> = {
  name: 'mgda-ub',
  description: 'MGDA-UB: MGDA on the gradients w.r.t. the shared representation (Sener & Koltun, NeurIPS 2018).',
  needs: 'gramian',
  balancesScales: true,
  gradientModes: ['representation'],
  resolveOptions: (options) => resolveMgdaOptions('mgda-ub', options),
  init: () => null,
  update: (input, state, options) => ({ weights: mgdaWeights('mgda-ub', input, options), state }),
};
