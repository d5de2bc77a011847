import { MtlError } from '../errors.js';
import type { MetricDirection } from '../tasks/task.js';

/** One metric of the multi-task model and of its single-task baseline. */
export interface MetricComparison {
  task: string;
  metric: string;
  direction: MetricDirection;
  multiTask: number;
  singleTask: number;
}

/**
 * Δm (Maninis et al., CVPR 2019; as reported by Nash-MTL and FAMO): the mean relative
 * change of every metric against its single-task baseline, in percent, signed so that
 * LOWER IS BETTER: Δm = (1/K) Σ_k (−1)^{h_k} (M_k − B_k) / B_k × 100 with h_k = 1 where
 * higher is better. A negative Δm means multi-task learning helped on average.
 *
 * @example
 * deltaM([{ task: 'a', metric: 'accuracy', direction: 'higher', multiTask: 0.9, singleTask: 0.8 }]) // −12.5
 */
export function deltaM(comparisons: readonly MetricComparison[]): number {
  if (comparisons.length === 0) {
    throw new MtlError({ code: 'evaluation.no_metrics', path: 'deltaM(comparisons)', expected: 'at least one metric comparison', found: 'none' });
  }
  let sum = 0;
  for (const c of comparisons) {
    if (!Number.isFinite(c.singleTask) || c.singleTask === 0) {
      throw new MtlError({
        code: 'evaluation.bad_baseline',
        path: `deltaM: ${c.task}/${c.metric}`,
        expected: 'a finite, non-zero single-task baseline value',
        found: String(c.singleTask),
        fix: 'train the single-task baseline for this task (mtl baselines) or drop the metric',
      });
    }
    const sign = c.direction === 'higher' ? -1 : 1;
    sum += (sign * (c.multiTask - c.singleTask)) / Math.abs(c.singleTask);
  }
  return (sum / comparisons.length) * 100;
}
