import type { WeightingMethod } from './method.js';
import { noOptions } from './options.js';

/** Equal weighting (EW): w_t = 1, the task losses are summed. */
export const equalWeighting: WeightingMethod<null, Record<string, never>> = {
  name: 'equal',
  description: 'Equal weighting: the task losses are summed (w_t = 1).',
  needs: 'losses',
  balancesScales: false,
  gradientModes: [],
  resolveOptions: (options) => noOptions('equal', options),
  init: () => null,
  update: (input, state) => ({ weights: input.losses.map(() => 1), state }),
};
