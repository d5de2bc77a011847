import { MtlError } from '../errors.js';
import { checkTable, type LossTable } from './lossTable.js';
import { GROUPING_EPSILON as EPS, checkBudget, cheapestCover, evaluateSelection, type Selection } from './selection.js';
import { SERVING_FRONTS_MAX_TASKS, completionBound, servingFronts, type ServingFronts } from './servingFronts.js';

/** Options of {@link branchAndBound}. */
export interface BranchAndBoundOptions {
  /**
   * Stop after this many search nodes and return the best selection found, with
   * `optimal: false` and the root's lower bound. @defaultValue 50,000,000
   */
  maxNodes?: number;
  /** Ids of a known feasible selection (e.g. from a local search): its total prunes from the start. */
  incumbent?: readonly string[];
  /**
   * Bound each node by the exact best completion over all networks (dynamic programming
   * over task sets, `servingFronts`) when there are at most this many tasks.
   * @defaultValue 12
   */
  exactBoundTasks?: number;
}

/** A candidate in the search's own layout: member indices and their values side by side. */
interface Network {
  index: number;
  cost: number;
  members: Int32Array;
  values: Float64Array;
}

/**
 * Standley et al.'s branch and bound ("Which Tasks Should Be Learned Together in
 * Multi-task Learning?", ICML 2020): choose networks of total cost ≤
 * `budget` that minimise the sum over tasks of the value of the best chosen network
 * serving each task; a task no chosen network serves makes a selection infeasible.
 *
 * At each node: drop the candidates over the remaining budget and those that improve no
 * task of the current selection; order the rest by their improvement (largest first); branch
 * on adding each, the later ones only (so every set is visited once); keep the best
 * total. Beyond the paper, two lower bounds prune a node before branching: every task at
 * its best remaining value (infeasible when a task has none left), and, once every task is
 * served, the current total minus a fractional-knapsack bound on what the remaining budget
 * can still gain (each network's gain is at most the sum of its per-task improvements).
 * Candidates dominated by a network at most as expensive, with every task at least as
 * good, are dropped first. Up to 12 tasks a third bound makes the search fast: the exact
 * best completion over all networks, from a dynamic program over sets of tasks
 * (`servingFronts`); it is built once, in O(3^T). The result is exact: it equals
 * brute-force enumeration (see the tests).
 *
 * @throws MtlError `grouping.budget_too_small`, `grouping.bad_budget` and the table errors of {@link checkTable}
 * @example
 * ```ts
 * const table = { tasks: ['a', 'b'], candidates: [
 *   { id: 'a', tasks: ['a'], size: 'full', cost: 1, values: { a: 1 } },
 *   { id: 'b', tasks: ['b'], size: 'full', cost: 1, values: { b: 1 } },
 *   { id: 'a+b', tasks: ['a', 'b'], size: 'full', cost: 1, values: { a: 0.9, b: 1.2 } },
 * ] };
 * branchAndBound(table, 1).networks.map((n) => n.id); // ['a+b']
 * branchAndBound(table, 2).networks.map((n) => n.id); // ['b', 'a+b'] (total 0.9 + 1)
 * ```
 */
export function branchAndBound(input: LossTable, budget: number, options: BranchAndBoundOptions = {}): Selection {
  const table = checkTable(input.tasks, input.candidates);
  checkBudget(budget, cheapestCover(table));
  const n = table.tasks.length;
  const taskIndex = new Map(table.tasks.map((t, i) => [t, i]));
  const all: Network[] = table.candidates.map((c, index) => ({
    index,
    cost: c.cost,
    members: Int32Array.from(c.tasks.map((t) => taskIndex.get(t)!)),
    values: Float64Array.from(c.tasks.map((t) => c.values[t]!)),
  }));
  const networks = removeDominated(all, n).filter((c) => c.cost <= budget + EPS);
  let fronts: ServingFronts | undefined;
  if (n <= Math.min(options.exactBoundTasks ?? SERVING_FRONTS_MAX_TASKS, SERVING_FRONTS_MAX_TASKS)) {
    fronts = servingFronts(
      n,
      networks.map((c) => {
        const valueOf = new Float64Array(n);
        c.members.forEach((j, k) => (valueOf[j] = c.values[k]!));
        return { mask: c.members.reduce((m, j) => m | (1 << j), 0), cost: c.cost, valueOf };
      }),
      budget,
    );
  }
  const scratch = fronts ? new Float64Array(1 << n) : undefined;
  // For ordering only: covering a task counts as improving it from just above its worst value.
  const ceiling = new Float64Array(n).fill(-Infinity);
  for (const c of networks) c.members.forEach((j, k) => (ceiling[j] = Math.max(ceiling[j]!, c.values[k]! + 1)));

  const maxNodes = options.maxNodes ?? 50_000_000;
  let nodes = 0;
  let complete = true;
  let bestTotal = Infinity;
  let bestSet: number[] = [];
  if (options.incumbent) {
    const start = evaluateSelection(table, options.incumbent);
    if (Number.isFinite(start.total) && start.cost <= budget + EPS) {
      bestTotal = start.total;
      bestSet = options.incumbent.map((id) => table.candidates.findIndex((c) => c.id === id));
    }
  }
  let rootBound = -Infinity;
  const chosen: number[] = [];

  const search = (list: Network[], remaining: number, best: Float64Array, depth: number): void => {
    nodes++;
    if (nodes > maxNodes) {
      complete = false;
      return;
    }
    let covered = true;
    let total = 0;
    for (let j = 0; j < n; j++) {
      if (best[j] === Infinity) covered = false;
      else total += best[j]!;
    }
    if (covered && total < bestTotal - EPS) {
      bestTotal = total;
      bestSet = [...chosen];
    }
    // Keep the networks that fit and improve a task; the best value each task can still reach.
    const reach = Float64Array.from(best);
    const kept: Network[] = [];
    const gains: number[] = [];
    for (const c of list) {
      if (c.cost > remaining + EPS) continue;
      let gain = 0;
      let improves = false;
      for (let k = 0; k < c.members.length; k++) {
        const j = c.members[k]!;
        const v = c.values[k]!;
        if (v < best[j]! - EPS) {
          improves = true;
          gain += (best[j] === Infinity ? ceiling[j]! : best[j]!) - v;
          if (v < reach[j]!) reach[j] = v;
        }
      }
      if (improves) {
        kept.push(c);
        gains.push(gain);
      }
    }
    let bound = 0;
    for (let j = 0; j < n; j++) bound += reach[j]!;
    if (fronts && bound !== Infinity) bound = Math.max(bound, completionBound(fronts, best, remaining, scratch!));
    if (depth === 0) rootBound = bound;
    if (bound === Infinity || bound >= bestTotal - EPS) return;
    if (covered && total - knapsackGain(kept, gains, remaining) >= bestTotal - EPS) return;
    const order = kept.map((_, k) => k).sort((a, b) => gains[b]! - gains[a]! || kept[a]!.cost - kept[b]!.cost || kept[a]!.index - kept[b]!.index);
    const sorted = order.map((k) => kept[k]!);
    for (let k = 0; k < sorted.length; k++) {
      const c = sorted[k]!;
      const next = Float64Array.from(best);
      for (let m = 0; m < c.members.length; m++) {
        const j = c.members[m]!;
        if (c.values[m]! < next[j]!) next[j] = c.values[m]!;
      }
      chosen.push(c.index);
      search(sorted.slice(k + 1), remaining - c.cost, next, depth + 1);
      chosen.pop();
      if (!complete) return;
    }
  };
  search(networks, budget, new Float64Array(n).fill(Infinity), 0);

  if (bestTotal === Infinity) {
    // Only reachable when the cover bound was a relaxation (more than 20 tasks) or the node limit hit first.
    throw new MtlError({
      code: complete ? 'grouping.budget_too_small' : 'grouping.search_limit',
      path: 'budget',
      expected: complete ? 'a budget that lets the candidates serve every task' : `a selection within ${maxNodes} search nodes`,
      found: complete ? `no set of networks within ${budget} serves every task` : 'none found before the limit',
      fix: complete ? 'raise the budget' : 'raise maxNodes, or use the local search (HOA/TAG selection) for this many candidates',
    });
  }
  const ids = bestSet.sort((a, b) => a - b).map((k) => table.candidates[k]!.id);
  const evaluated = evaluateSelection(table, ids);
  const bound = complete ? evaluated.total : Math.min(rootBound, evaluated.total);
  return {
    ...evaluated,
    budget,
    optimal: complete,
    bound,
    gap: evaluated.total - bound,
    evaluations: nodes,
    solver: 'branch-and-bound',
  };
}

/**
 * Fractional-knapsack upper bound on what networks of total cost ≤ `capacity` can gain:
 * networks taken in order of gain per cost, the last one in part. Valid because the gain
 * of a set is at most the sum of its members' gains measured from the current selection.
 */
function knapsackGain(networks: readonly Network[], gains: readonly number[], capacity: number): number {
  const order = networks.map((_, k) => k).sort((a, b) => gains[b]! / networks[b]!.cost - gains[a]! / networks[a]!.cost);
  let left = capacity;
  let gain = 0;
  for (const k of order) {
    const c = networks[k]!;
    if (c.cost <= left + EPS) {
      gain += gains[k]!;
      left -= c.cost;
    } else {
      gain += (gains[k]! * left) / c.cost;
      break;
    }
  }
  return gain;
}

/**
 * Drop every network that another network (earlier in a fixed order, at most as expensive,
 * serving a superset of its tasks with values at least as good on its tasks) dominates: a
 * selection using the dominated one does no better than the same selection with the other.
 */
function removeDominated(networks: readonly Network[], n: number): Network[] {
  const value = networks.map((c) => {
    const row = new Float64Array(n).fill(Infinity);
    c.members.forEach((j, k) => (row[j] = c.values[k]!));
    return row;
  });
  const dominated = new Uint8Array(networks.length);
  for (let a = 0; a < networks.length; a++) {
    for (let b = 0; b < networks.length; b++) {
      if (a === b || dominated[b]) continue;
      const A = networks[a]!;
      const B = networks[b]!;
      if (B.cost > A.cost + EPS) continue;
      let worse = false;
      let strictly = B.cost < A.cost - EPS;
      for (let k = 0; k < A.members.length && !worse; k++) {
        const j = A.members[k]!;
        const vb = value[b]![j]!;
        if (vb > A.values[k]! + EPS) worse = true;
        else if (vb < A.values[k]! - EPS) strictly = true;
      }
      // Equal networks: keep the earlier one only.
      if (!worse && (strictly || b < a)) {
        dominated[a] = 1;
        break;
      }
    }
  }
  return networks.filter((_, k) => !dominated[k]);
}
