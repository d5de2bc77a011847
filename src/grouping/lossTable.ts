import { MtlError } from '../errors.js';
import type { MetricDirection } from '../tasks/task.js';
import { checkGroupingTasks, orderSubset, type Candidate } from './candidates.js';

/** A candidate network with one number per task it serves. */
export interface ScoredCandidate extends Candidate {
  /** Per task of the network: its value (in a {@link LossTable}: normalised, lower is better). */
  values: Record<string, number>;
}

/**
 * What a selection works on: the tasks and, for each candidate network, a summable
 * loss-like value per task it serves (lower is better; see {@link normalizeTable}).
 */
export interface LossTable {
  tasks: string[];
  candidates: ScoredCandidate[];
}

/** Options of {@link normalizeTable}. */
export interface NormalizeOptions {
  /**
   * Direction of the measured values, for all tasks or per task: `lower` for losses and
   * error metrics; `higher` for accuracy, AUC, F1 (values in [0, 1]), which are turned
   * into errors 1 − v first. @defaultValue 'lower'
   */
  direction?: MetricDirection | Record<string, MetricDirection>;
  /**
   * `single`: divide every value of task t by the value of t's own network: the
   * full-size single-task network when there is one, else the half-size one; `none`: keep
   * the values (only when the tasks' losses already share a scale). @defaultValue 'single'
   */
  reference?: 'single' | 'none';
}

/**
 * Make measured per-task values summable across tasks. Standley et al. minimise the sum
 * of the tasks' losses; raw losses of different tasks (a cross-entropy and a squared
 * error) are on unrelated scales, so by default each task's value is divided by the value
 * of the network that trains that task alone: 1 means "as good as alone", 0.9 "10%
 * lower loss than alone". Higher-is-better metrics are turned into errors (1 − v) first,
 * so the ratio is the relative error. When a reference is zero (a perfect single-task
 * network) the task's values are shifted instead: v − ref + 1.
 *
 * @throws MtlError `grouping.unknown_task`, `grouping.missing_value` (a network without a
 *   finite value for one of its tasks), `grouping.no_reference` (no single-task network for a task)
 * @example
 * ```ts
 * normalizeTable(['a', 'b'], [
 *   { id: 'a', tasks: ['a'], size: 'full', cost: 1, values: { a: 0.5 } },
 *   { id: 'b', tasks: ['b'], size: 'full', cost: 1, values: { b: 2 } },
 *   { id: 'a+b', tasks: ['a', 'b'], size: 'full', cost: 1, values: { a: 0.4, b: 2.2 } },
 * ]).candidates[2].values; // { a: 0.8, b: 1.1 }
 * ```
 */
export function normalizeTable(tasks: readonly string[], measured: readonly ScoredCandidate[], options: NormalizeOptions = {}): LossTable {
  const table = checkTable(tasks, measured);
  const direction = (t: string): MetricDirection =>
    typeof options.direction === 'string' ? options.direction : options.direction?.[t] ?? 'lower';
  const lossLike = table.candidates.map((c) => {
    const values: Record<string, number> = {};
    for (const t of c.tasks) values[t] = direction(t) === 'higher' ? 1 - c.values[t]! : c.values[t]!;
    return { ...c, values };
  });
  if ((options.reference ?? 'single') === 'none') return { tasks: [...tasks], candidates: lossLike };
  const reference: Record<string, number> = {};
  for (const t of tasks) {
    const own = lossLike.find((c) => c.tasks.length === 1 && c.tasks[0] === t && c.size === 'full') ?? lossLike.find((c) => c.tasks.length === 1 && c.tasks[0] === t);
    if (!own) {
      throw new MtlError({
        code: 'grouping.no_reference',
        path: `candidates`,
        expected: `a single-task network for task "${t}" (its values are the reference the others are divided by)`,
        found: 'none',
        fix: "include the single-task networks, or pass reference: 'none' when the losses share a scale",
      });
    }
    reference[t] = own.values[t]!;
  }
  return {
    tasks: [...tasks],
    candidates: lossLike.map((c) => ({
      ...c,
      values: Object.fromEntries(c.tasks.map((t) => [t, reference[t]! > 0 ? c.values[t]! / reference[t]! : c.values[t]! - reference[t]! + 1])),
    })),
  };
}

/**
 * Check a table: known tasks (put in experiment order), one finite value for every task of
 * every network, positive costs, unique ids.
 * @throws MtlError `grouping.too_few_tasks`, `grouping.unknown_task`, `grouping.missing_value`,
 *   `grouping.bad_cost`, `grouping.duplicate_candidate`
 */
export function checkTable(tasks: readonly string[], candidates: readonly ScoredCandidate[]): LossTable {
  checkGroupingTasks(tasks);
  const ids = new Set<string>();
  const out = candidates.map((c, i) => {
    const path = `candidates[${i}] (${c.id})`;
    const ordered = orderSubset(tasks, c.tasks, `${path}.tasks`);
    if (!(Number.isFinite(c.cost) && c.cost > 0)) {
      throw new MtlError({ code: 'grouping.bad_cost', path: `${path}.cost`, expected: 'a positive inference cost', found: String(c.cost) });
    }
    if (ids.has(c.id)) throw new MtlError({ code: 'grouping.duplicate_candidate', path, expected: 'each network id once', found: `"${c.id}" again` });
    ids.add(c.id);
    for (const t of ordered) {
      const v = c.values[t];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new MtlError({
          code: 'grouping.missing_value',
          path: `${path}.values.${t}`,
          expected: `a finite value for task "${t}", which the network serves`,
          found: v === undefined ? 'none' : String(v),
          fix: 'train the network again (a diverged run has no usable value), or leave it out of the candidates',
        });
      }
    }
    return { ...c, tasks: ordered };
  });
  return { tasks: [...tasks], candidates: out };
}
