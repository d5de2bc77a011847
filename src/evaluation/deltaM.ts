import { MtlError } from '../errors.js';
import { METRICS } from '../tasks/metrics.js';
import type { MetricDirection } from '../tasks/task.js';
import type { TaskEvaluation } from './evaluate.js';

/** One metric of the multi-task model and of its single-task baseline. */
export interface MetricComparison {
  task: string;
  metric: string;
  direction: MetricDirection;
  multiTask: number;
  singleTask: number;
}

/** One task's part of Δm: the metrics it contributes and their mean relative change, in percent. */
export interface TaskDelta {
  task: string;
  metrics: string[];
  /** (1/|M_t|) Σ_{m∈M_t} σ_m (MTL − STL) / STL × 100; positive is worse. */
  change: number;
}

/** Δm with its per-task parts. */
export interface DeltaMBreakdown {
  /** The mean of the per-task changes, in percent (lower is better). */
  deltaM: number;
  perTask: TaskDelta[];
}

/** The definition of Δm, as the run summary states it. */
export const DELTA_M_FORMULA =
  'Δm = (1/T) Σ_t (1/|M_t|) Σ_{m∈M_t} σ_m (MTL_{t,m} − STL_{t,m}) / STL_{t,m} × 100%, σ_m = +1 where lower is better, −1 where higher is better; M_t = the task\'s deltaMetrics (default: its first metric)';

/**
 * The relative change of one metric against its baseline in percent, signed so that
 * positive is worse: σ (M − B) / |B| × 100 with σ = +1 for a lower-is-better metric and
 * −1 for a higher-is-better one.
 * @throws MtlError `evaluation.bad_baseline` for a zero or non-finite baseline.
 */
export function relativeChange(c: MetricComparison): number {
  if (!Number.isFinite(c.singleTask) || c.singleTask === 0) {
    throw new MtlError({
      code: 'evaluation.bad_baseline',
      path: `deltaM: ${c.task}/${c.metric}`,
      expected: 'a finite, non-zero single-task baseline value',
      found: String(c.singleTask),
      fix: 'train the single-task baseline for this task (mtl baselines) or leave the metric out of deltaMetrics',
    });
  }
  const sign = c.direction === 'higher' ? -1 : 1;
  return ((sign * (c.multiTask - c.singleTask)) / Math.abs(c.singleTask)) * 100;
}

/**
 * Δm, the average relative change of a multi-task model against its single-task
 * baselines, in percent, LOWER IS BETTER (negative: sharing helped): each task's
 * relative changes are averaged over its metrics first, then over tasks, so every task
 * counts equally however many metrics it reports:
 *
 *   Δm = (1/T) Σ_t (1/|M_t|) Σ_{m∈M_t} σ_m (MTL_{t,m} − STL_{t,m}) / STL_{t,m} × 100,
 *
 * σ_m = +1 where lower is better, −1 where higher is better. With one metric per task
 * it equals the form of Maninis et al. (CVPR 2019), as reported by Nash-MTL and FAMO,
 * which averages over all K metrics at once ({@link deltaMOverMetrics}); with several
 * metrics per task that form weights a task by its number of metrics. LibMTL's
 * `count_improvement` averages per task first like this one but with the opposite sign
 * (positive: better) and as a fraction: Δm = −100 · Δp.
 *
 * Pass the comparisons of the metrics each task contributes (a task's `deltaMetrics`,
 * by default its first metric; see {@link comparisonsFromEvaluations}).
 *
 * @example
 * ```ts
 * deltaMByTask([
 *   { task: 'a', metric: 'accuracy', direction: 'higher', multiTask: 0.9, singleTask: 0.8 }, // −12.5%
 *   { task: 'b', metric: 'mse', direction: 'lower', multiTask: 1.1, singleTask: 1.0 },        // +10%
 *   { task: 'b', metric: 'mae', direction: 'lower', multiTask: 1.3, singleTask: 1.0 },        // +30%
 * ]).deltaM; // (−12.5 + (10 + 30)/2) / 2 = +3.75
 * ```
 * @throws MtlError `evaluation.no_metrics` for no comparison, `evaluation.bad_baseline` for a zero or non-finite baseline.
 */
export function deltaMByTask(comparisons: readonly MetricComparison[]): DeltaMBreakdown {
  if (comparisons.length === 0) {
    throw new MtlError({ code: 'evaluation.no_metrics', path: 'deltaM(comparisons)', expected: 'at least one metric comparison', found: 'none' });
  }
  const byTask = new Map<string, { metrics: string[]; sum: number }>();
  for (const c of comparisons) {
    const change = relativeChange(c);
    const entry = byTask.get(c.task) ?? { metrics: [], sum: 0 };
    entry.metrics.push(c.metric);
    entry.sum += change;
    byTask.set(c.task, entry);
  }
  const perTask = [...byTask.entries()].map(([task, e]) => ({ task, metrics: e.metrics, change: e.sum / e.metrics.length }));
  return { deltaM: perTask.reduce((s, t) => s + t.change, 0) / perTask.length, perTask };
}

/** Δm in percent, lower is better: the mean over tasks of each task's mean relative change (see {@link deltaMByTask}). */
export function deltaM(comparisons: readonly MetricComparison[]): number {
  return deltaMByTask(comparisons).deltaM;
}

/**
 * The over-all-metrics form of Δm (Maninis et al., CVPR 2019; Nash-MTL, ICML 2022):
 * (1/K) Σ_k σ_k (M_k − B_k) / B_k × 100 over every metric of every task at once, so a
 * task with more metrics weighs more. Same as {@link deltaM} when every task has one
 * metric. For comparison with papers that report it.
 */
export function deltaMOverMetrics(comparisons: readonly MetricComparison[]): number {
  if (comparisons.length === 0) {
    throw new MtlError({ code: 'evaluation.no_metrics', path: 'deltaMOverMetrics(comparisons)', expected: 'at least one metric comparison', found: 'none' });
  }
  return comparisons.reduce((s, c) => s + relativeChange(c), 0) / comparisons.length;
}

/** The direction of a built-in metric (its declared `direction`). */
export function metricDirection(metric: string): MetricDirection {
  const m = METRICS[metric];
  if (!m) {
    throw new MtlError({ code: 'evaluation.unknown_metric', path: `deltaM: ${metric}`, expected: `a built-in metric: one of [${Object.keys(METRICS).join(', ')}]`, found: JSON.stringify(metric) });
  }
  return m.direction;
}

/**
 * The comparisons Δm is computed from: for each task evaluated in both, its chosen
 * metrics (`deltaMetrics[task]`, by default the first metric of its evaluation) with
 * the direction each metric declares. Metrics the baseline lacks are left out.
 */
export function comparisonsFromEvaluations(
  multiTask: Readonly<Record<string, TaskEvaluation>>,
  singleTask: Readonly<Record<string, TaskEvaluation | undefined>>,
  deltaMetrics: Readonly<Record<string, readonly string[]>> = {},
): MetricComparison[] {
  const out: MetricComparison[] = [];
  for (const [task, mtl] of Object.entries(multiTask)) {
    const stl = singleTask[task];
    if (!stl) continue;
    const chosen = deltaMetrics[task] ?? Object.keys(mtl.metrics).slice(0, 1);
    for (const metric of chosen) {
      const value = mtl.metrics[metric];
      const base = stl.metrics[metric];
      if (value === undefined || base === undefined) continue;
      out.push({ task, metric, direction: metricDirection(metric), multiTask: value, singleTask: base });
    }
  }
  return out;
}
