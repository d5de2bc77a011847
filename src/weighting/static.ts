import { MtlError, describeValue } from '../errors.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys } from './options.js';

/** Resolved options: one weight per task in task order (given by name in the experiment file; unlisted tasks get 1). */
export interface StaticWeightingOptions {
  weights: number[];
}

/** Static weighting: fixed user-given weights, L = Σ_t λ_t L_t. */
export const staticWeighting: WeightingMethod<null, StaticWeightingOptions> = {
  name: 'static',
  description: 'Static weighting: fixed user-given task weights λ_t, L = Σ λ_t L_t.',
  needs: 'losses',
  balancesScales: false,
  gradientModes: [],
  resolveOptions(options, context) {
    checkOptionKeys('static', options, ['weights']);
    const raw = options?.weights ?? {};
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new MtlError({
        code: 'weighting.bad_option',
        path: 'weighting.options.weights',
        expected: 'an object of task weights by task name, e.g. { left: 1, right: 0.5 }',
        found: describeValue(raw),
      });
    }
    const weights = raw as Record<string, unknown>;
    for (const [task, w] of Object.entries(weights)) {
      if (!context.taskNames.includes(task)) {
        throw new MtlError({
          code: 'weighting.unknown_task',
          path: `weighting.options.weights.${task}`,
          expected: `a task name, one of [${context.taskNames.join(', ')}]`,
          found: `"${task}"`,
          fix: 'use the names given under tasks',
        });
      }
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
        throw new MtlError({
          code: 'weighting.bad_option',
          path: `weighting.options.weights.${task}`,
          expected: 'a finite number ≥ 0',
          found: describeValue(w),
        });
      }
    }
    const resolved = context.taskNames.map((t) => (weights[t] as number | undefined) ?? 1);
    if (!resolved.some((w) => w > 0)) {
      // Σ 0·L_t has a zero gradient: the model would not move, and the run would "succeed".
      throw new MtlError({
        code: 'weighting.bad_option',
        path: 'weighting.options.weights',
        expected: 'at least one task weight > 0 (all zero trains nothing)',
        found: context.taskNames.map((t, i) => `${t}: ${resolved[i]}`).join(', '),
        fix: 'give the tasks you want to train a positive weight (unlisted tasks get 1)',
      });
    }
    return { weights: resolved };
  },
  init: () => null,
  update: (input, state, options) => ({
    weights: [...options.weights],
    state,
  }),
};
