import { MtlError } from '../errors.js';
import type { Candidate } from './candidates.js';
import type { LossTable } from './lossTable.js';

/** Tolerance for comparing costs with the budget and objective values. */
export const GROUPING_EPSILON = 1e-9;

/** A chosen network and the tasks it serves (those for which it is the best chosen network). */
export interface ChosenNetwork extends Candidate {
  serves: string[];
}

/**
 * The networks a selection chose under a budget. Each task is served by the best chosen
 * network that contains it (a task may be in several); the objective is the sum over tasks
 * of the serving network's value (lower is better).
 */
export interface Selection {
  networks: ChosenNetwork[];
  /** Per task: the network that serves it and its value there. */
  assignment: Record<string, { network: string; value: number }>;
  /** Sum over tasks of the served values (the objective, lower is better). */
  total: number;
  /** Total inference cost of the chosen networks. */
  cost: number;
  budget: number;
  /** True when the search proved that no selection within the budget has a lower total. */
  optimal: boolean;
  /** A proven lower bound on the best total within the budget (equal to `total` when optimal). */
  bound: number;
  /** `total − bound`: how far from optimal the selection can at most be (0 when optimal). */
  gap: number;
  /** Search effort: nodes of a tree search, or objective evaluations of a local search. */
  evaluations: number;
  /** Which solver produced it: `branch-and-bound`, `brute-force`, `local-search`, `random`. */
  solver: string;
}

/**
 * The per-task serving of a set of networks of a table: for each task, the chosen network
 * with its lowest value (ties: the one listed first). Returns NaN as the total when a task
 * is not covered.
 */
export function evaluateSelection(table: LossTable, ids: readonly string[]): Pick<Selection, 'networks' | 'assignment' | 'total' | 'cost'> {
  const byId = new Map(table.candidates.map((c) => [c.id, c]));
  const chosen = ids.map((id) => {
    const c = byId.get(id);
    if (!c) throw new MtlError({ code: 'grouping.unknown_candidate', path: 'networks', expected: 'ids of the table\'s candidates', found: `"${id}"` });
    return c;
  });
  const assignment: Selection['assignment'] = {};
  for (const c of chosen) {
    for (const t of c.tasks) {
      const v = c.values[t]!;
      const current = assignment[t];
      if (!current || v < current.value - GROUPING_EPSILON) assignment[t] = { network: c.id, value: v };
    }
  }
  let total = 0;
  for (const t of table.tasks) total += assignment[t] ? assignment[t]!.value : NaN;
  const networks = chosen.map((c) => ({
    id: c.id,
    tasks: [...c.tasks],
    size: c.size,
    cost: c.cost,
    serves: c.tasks.filter((t) => assignment[t]?.network === c.id),
  }));
  return { networks, assignment, total, cost: chosen.reduce((s, c) => s + c.cost, 0) };
}

/**
 * The cheapest inference cost at which the candidates cover every task (weighted set
 * cover, solved exactly over sets of covered tasks for up to 20 tasks, else bounded
 * below by the cheapest network per task spread over the tasks it covers).
 */
export function cheapestCover(table: LossTable): number {
  const n = table.tasks.length;
  const index = new Map(table.tasks.map((t, i) => [t, i]));
  for (const t of table.tasks) {
    if (!table.candidates.some((c) => c.tasks.includes(t))) return Infinity;
  }
  if (n <= 20 && table.candidates.length * 2 ** n <= 5e7) {
    const masks = table.candidates.map((c) => c.tasks.reduce((m, t) => m | (1 << index.get(t)!), 0));
    const full = 2 ** n - 1;
    const best = new Float64Array(full + 1).fill(Infinity);
    best[0] = 0;
    for (let m = 0; m <= full; m++) {
      const here = best[m]!;
      if (here === Infinity) continue;
      table.candidates.forEach((c, k) => {
        const next = m | masks[k]!;
        if (next !== m && here + c.cost < best[next]!) best[next] = here + c.cost;
      });
    }
    return best[full]!;
  }
  // A valid lower bound: each task pays at least the cheapest cost-per-task of a network covering it.
  let bound = 0;
  for (const t of table.tasks) {
    let cheapest = Infinity;
    for (const c of table.candidates) if (c.tasks.includes(t)) cheapest = Math.min(cheapest, c.cost / c.tasks.length);
    bound += cheapest;
  }
  return bound;
}

/**
 * Check a budget against the candidates.
 * @throws MtlError `grouping.bad_budget` (not a positive number), `grouping.budget_too_small`
 *   (below the cheapest set of networks that covers every task)
 */
export function checkBudget(budget: number, cheapest: number, path = 'budget'): void {
  if (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0) {
    throw new MtlError({ code: 'grouping.bad_budget', path, expected: 'a positive inference budget (in full-size networks)', found: String(budget) });
  }
  if (budget < cheapest - GROUPING_EPSILON) {
    throw new MtlError({
      code: 'grouping.budget_too_small',
      path,
      expected: `at least ${formatCost(cheapest)}, the cost of the cheapest set of networks that serves every task`,
      found: formatCost(budget),
      fix: `raise the budget to ${formatCost(cheapest)} or more`,
    });
  }
}

/** A cost as printed: up to 3 decimals, no trailing zeros. */
export function formatCost(cost: number): string {
  return String(Math.round(cost * 1000) / 1000);
}
