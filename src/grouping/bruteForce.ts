import { MtlError } from '../errors.js';
import { checkTable, type LossTable } from './lossTable.js';
import { GROUPING_EPSILON as EPS, checkBudget, cheapestCover, evaluateSelection, type Selection } from './selection.js';

/**
 * Exhaustive selection, the reference {@link branchAndBound} is tested against: every set
 * of at most T candidates (T = number of tasks) with total cost ≤ `budget` is evaluated.
 * Sets of more than T networks need not be visited: in any selection some network serves
 * no task, and dropping it changes nothing but the cost. Exponential: only for small tables.
 *
 * @throws MtlError `grouping.too_large` beyond `maxSets` sets, and the budget and table errors
 */
export function bruteForceSelection(input: LossTable, budget: number, options: { maxSets?: number } = {}): Selection {
  const table = checkTable(input.tasks, input.candidates);
  checkBudget(budget, cheapestCover(table));
  const n = table.tasks.length;
  const m = table.candidates.length;
  const taskIndex = new Map(table.tasks.map((t, i) => [t, i]));
  const members = table.candidates.map((c) => c.tasks.map((t) => taskIndex.get(t)!));
  const values = table.candidates.map((c) => c.tasks.map((t) => c.values[t]!));
  const maxSets = options.maxSets ?? 1e8;
  let visited = 0;
  let bestTotal = Infinity;
  let bestSet: number[] = [];
  const chosen: number[] = [];
  const visit = (start: number, remaining: number): void => {
    visited++;
    if (visited > maxSets) {
      throw new MtlError({ code: 'grouping.too_large', path: 'bruteForceSelection', expected: `at most ${maxSets} sets to enumerate`, found: 'more', fix: 'use branchAndBound' });
    }
    const best = new Float64Array(n).fill(Infinity);
    for (const k of chosen) members[k]!.forEach((j, q) => (best[j] = Math.min(best[j]!, values[k]![q]!)));
    let total = 0;
    for (let j = 0; j < n; j++) total += best[j]!;
    if (total < bestTotal - EPS) {
      bestTotal = total;
      bestSet = [...chosen];
    }
    if (chosen.length === n) return;
    for (let k = start; k < m; k++) {
      const cost = table.candidates[k]!.cost;
      if (cost > remaining + EPS) continue;
      chosen.push(k);
      visit(k + 1, remaining - cost);
      chosen.pop();
    }
  };
  visit(0, budget);
  const evaluated = evaluateSelection(table, bestSet.map((k) => table.candidates[k]!.id));
  return { ...evaluated, budget, optimal: true, bound: evaluated.total, gap: 0, evaluations: visited, solver: 'brute-force' };
}
