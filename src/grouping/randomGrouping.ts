import { Random } from '../random/random.js';
import { candidateId, checkGroupingTasks, type Candidate } from './candidates.js';
import { checkBudget } from './selection.js';

/** Options of {@link randomGrouping}. */
export interface RandomGroupingOptions {
  /** @defaultValue 0 */
  seed?: number | string;
  /** Cost of a full-size network. @defaultValue 1 */
  groupCost?: number;
  /** Cost of a half-size single-task network (used when the budget holds no full-size one per group); false: none. @defaultValue 0.5 */
  halfCost?: number | false;
}

/**
 * The random baseline of a grouping search: as many full-size networks as the budget
 * holds (at most one per task), the tasks shuffled and cut at random points into that
 * many non-empty groups, each task in exactly one network. A budget below one full-size
 * network gives every task a half-size network, when they fit.
 *
 * @throws MtlError `grouping.too_few_tasks`, `grouping.budget_too_small`
 * @example
 * ```ts
 * randomGrouping(['a', 'b', 'c', 'd'], 2, { seed: 1 }).map((c) => c.id); // ['b+c+d', 'a']
 * ```
 */
export function randomGrouping(tasks: readonly string[], budget: number, options: RandomGroupingOptions = {}): Candidate[] {
  checkGroupingTasks(tasks);
  const groupCost = options.groupCost ?? 1;
  const halfCost = options.halfCost ?? 0.5;
  const n = tasks.length;
  checkBudget(budget, Math.min(groupCost, halfCost === false ? Infinity : n * halfCost));
  const random = new Random(`random-grouping:${options.seed ?? 0}`);
  const k = Math.min(n, Math.floor(budget / groupCost + 1e-9));
  if (k === 0) return tasks.map((t) => ({ id: candidateId([t], 'half'), tasks: [t], size: 'half' as const, cost: halfCost as number }));
  const order = random.permutation(n);
  // k − 1 distinct cut points among the n − 1 gaps.
  const cuts = Array.from(random.permutation(n - 1)).slice(0, k - 1).map((c) => c + 1).sort((a, b) => a - b);
  const bounds = [0, ...cuts, n];
  const groups: Candidate[] = [];
  for (let g = 0; g < k; g++) {
    const members = Array.from(order.subarray(bounds[g]!, bounds[g + 1]!)).sort((a, b) => a - b).map((i) => tasks[i]!);
    groups.push({ id: candidateId(members), tasks: members, size: 'full', cost: groupCost });
  }
  return groups;
}
