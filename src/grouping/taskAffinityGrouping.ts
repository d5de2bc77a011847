import { MtlError } from '../errors.js';
import { checkGroupingTasks } from './candidates.js';
import type { PairwiseModel, SingleOption } from './pairwiseModel.js';
import { selectPairwise, type PairwiseSearchOptions } from './pairwiseSearch.js';
import type { Selection } from './selection.js';

/** Inter-task affinities: `values[i][j]` = Z_{i→j}, the effect of a step on task i's gradient on task j's loss. */
export interface AffinityTable {
  tasks: string[];
  values: number[][];
}

/** Options of {@link selectTag}. */
export interface TagOptions extends PairwiseSearchOptions {
  /**
   * What a network of one task scores for it. `last-resort` (TAG's reference code, which
   * scores it −10⁶): a lone task is chosen only when no selection within the budget serves
   * every task in a group, and then as few as possible; a number scores it like an affinity
   * (0: "alone, no transfer either way", so a group whose others hurt a task loses to
   * training it alone). @defaultValue 'last-resort'
   */
  singletonScore?: number | 'last-resort';
  /** Cost of a network (TAG's "at most k groups" is a budget of k with this at 1). @defaultValue 1 */
  groupCost?: number;
  /** Also allow half-size single-task networks at this cost (scored as lone tasks); false: none. @defaultValue false */
  halfCost?: number | false;
}

/** A TAG selection: the networks, plus each task's group score (null for a lone task in `last-resort` mode). */
export interface TagSelection extends Selection {
  /** Per task: the best score a chosen network gives it (mean affinity onto it from its other members). */
  scores: Record<string, number | null>;
  /** Mean of the scores over the tasks that have one (TAG's objective). */
  meanScore: number;
  /** Tasks served only by a network of their own. */
  loneTasks: string[];
}

/**
 * TAG's group score of task j in the network `members` (Fifty et al., "Efficiently
 * Identifying Task Groupings for Multi-Task Learning", NeurIPS 2021): the mean over the
 * other members i of Z_{i→j}.
 */
export function tagGroupScore(affinity: AffinityTable, members: readonly string[], task: string): number {
  const j = affinity.tasks.indexOf(task);
  const others = members.filter((m) => m !== task).map((m) => affinity.values[affinity.tasks.indexOf(m)]![j]!);
  return others.reduce((a, b) => a + b, 0) / others.length;
}

/**
 * TAG's selection as a {@link PairwiseModel}: `pair[i][j] = −Z_{i→j}`, so minimising the
 * summed values maximises the summed (and so the mean) best group score per task.
 * @throws MtlError `grouping.bad_matrix`, `grouping.too_few_tasks`, `grouping.bad_option`
 */
export function tagModel(affinity: AffinityTable, options: Pick<TagOptions, 'singletonScore' | 'groupCost' | 'halfCost'> = {}): PairwiseModel {
  checkAffinity(affinity);
  const n = affinity.tasks.length;
  const pair = affinity.values.map((row, i) => row.map((v, j) => (i === j ? 0 : -v)));
  const singleton = options.singletonScore ?? 'last-resort';
  let lone: number;
  if (singleton === 'last-resort') {
    // Worse than any group score by more than any rearrangement can gain: lexicographic.
    let lo = Infinity;
    let hi = -Infinity;
    pair.forEach((row, i) => row.forEach((v, j) => i !== j && ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)))));
    lone = hi + n * (hi - lo) + 1;
  } else if (typeof singleton === 'number' && Number.isFinite(singleton)) {
    lone = -singleton;
  } else {
    throw new MtlError({ code: 'grouping.bad_option', path: 'singletonScore', expected: `"last-resort" or a finite number`, found: String(singleton) });
  }
  const groupCost = options.groupCost ?? 1;
  const singles: SingleOption[] = [{ size: 'full', cost: groupCost, values: new Array(n).fill(lone) }];
  if (options.halfCost !== undefined && options.halfCost !== false) singles.push({ size: 'half', cost: options.halfCost, values: new Array(n).fill(lone) });
  return { tasks: [...affinity.tasks], pair, groupCost, singles };
}

/**
 * TAG's network selection: at most `budget` networks (with the default costs) covering all
 * tasks, maximising the mean over tasks of the best group score any chosen network gives
 * the task ({@link tagGroupScore}); a task may be in several networks. TAG's reference
 * enumerates every combination of groups; here up to `exactTasks` tasks the exact branch
 * and bound runs on every subset, beyond it the local search with a proven gap.
 *
 * @example
 * ```ts
 * const affinity = { tasks: ['a', 'b', 'c', 'd'], values: [
 *   [0, 0.2, -0.1, -0.1], [0.3, 0, -0.2, -0.1], [-0.1, -0.1, 0, 0.1], [-0.2, -0.1, 0.2, 0]] };
 * selectTag(affinity, 2).networks.map((n) => n.id); // ['a+b', 'c+d']
 * ```
 */
export function selectTag(affinity: AffinityTable, budget: number, options: TagOptions = {}): TagSelection {
  const model = tagModel(affinity, options);
  const selection = selectPairwise(model, budget, options);
  const lastResort = (options.singletonScore ?? 'last-resort') === 'last-resort';
  const scores: Record<string, number | null> = {};
  const loneTasks: string[] = [];
  for (const t of affinity.tasks) {
    const network = selection.networks.find((n) => n.id === selection.assignment[t]!.network)!;
    if (network.tasks.length === 1) loneTasks.push(t);
    scores[t] = network.tasks.length === 1 ? (lastResort ? null : (options.singletonScore as number)) : tagGroupScore(affinity, network.tasks, t);
  }
  const scored = Object.values(scores).filter((s): s is number => s !== null);
  return { ...selection, scores, meanScore: scored.length > 0 ? scored.reduce((a, b) => a + b, 0) / scored.length : NaN, loneTasks };
}

/** @throws MtlError `grouping.bad_matrix` for a matrix that is not T×T finite numbers off the diagonal */
export function checkAffinity(affinity: AffinityTable): void {
  checkGroupingTasks(affinity.tasks, 'affinity.tasks');
  const n = affinity.tasks.length;
  if (!Array.isArray(affinity.values) || affinity.values.length !== n || affinity.values.some((r) => !Array.isArray(r) || r.length !== n)) {
    throw new MtlError({ code: 'grouping.bad_matrix', path: 'affinity.values', expected: `a ${n}×${n} matrix (source task by row, target task by column)`, found: 'another shape' });
  }
  affinity.values.forEach((row, i) =>
    row.forEach((v, j) => {
      if (i !== j && !Number.isFinite(v)) {
        throw new MtlError({
          code: 'grouping.bad_matrix',
          path: `affinity.values[${i}][${j}] (${affinity.tasks[i]} → ${affinity.tasks[j]})`,
          expected: 'a finite affinity',
          found: String(v),
          fix: 'record affinity for longer (a pair never measured has no value)',
        });
      }
    }),
  );
}
