import { GROUPING_EPSILON as EPS } from './selection.js';

/**
 * For every set M of tasks (a bit mask over ≤ {@link SERVING_FRONTS_MAX_TASKS} tasks), the
 * cheapest ways to serve exactly the tasks of M with networks: a Pareto front of (total
 * cost, summed value) pairs, cost ascending and value strictly descending. Each network
 * serves a block of M (one of its own tasks' subsets) and the blocks partition M; a network
 * serving two blocks would serve their union at one cost, so blocks never share a network.
 *
 * Built by dynamic programming over subsets in O(3^T) block choices, it gives the exact
 * value of the best completion of a partial selection (see {@link completionBound}); the
 * branch and bound uses it as its lower bound.
 */
export interface ServingFronts {
  tasks: number;
  /** Per mask: front costs (ascending). */
  costs: Float64Array[];
  /** Per mask: front values (descending). */
  values: Float64Array[];
}

/** Up to this many tasks the fronts are built (3^12 ≈ 531,000 block choices). */
export const SERVING_FRONTS_MAX_TASKS = 12;

/** A network as masks: its tasks and its value on each task (indexed by task). */
export interface MaskedNetwork {
  mask: number;
  cost: number;
  /** Value per task index (only the network's own tasks are read). */
  valueOf: Float64Array;
}

/** Build the fronts for `tasks` tasks from the networks, ignoring combinations costlier than `budget`. */
export function servingFronts(tasks: number, networks: readonly MaskedNetwork[], budget: number): ServingFronts {
  const size = 1 << tasks;
  // Single-network blocks: per block, the best value at each cost.
  const blockCosts: number[][] = Array.from({ length: size }, () => []);
  const blockValues: number[][] = Array.from({ length: size }, () => []);
  for (const c of networks) {
    if (c.cost > budget + EPS) continue;
    for (let a = c.mask; a; a = (a - 1) & c.mask) {
      let v = 0;
      for (let rest = a; rest; rest &= rest - 1) v += c.valueOf[31 - Math.clz32(rest & -rest)]!;
      addToFront(blockCosts[a]!, blockValues[a]!, c.cost, v);
    }
  }
  const costs: Float64Array[] = new Array(size);
  const values: Float64Array[] = new Array(size);
  costs[0] = Float64Array.of(0);
  values[0] = Float64Array.of(0);
  const pairCosts: number[] = [];
  const pairValues: number[] = [];
  for (let m = 1; m < size; m++) {
    const low = m & -m;
    pairCosts.length = 0;
    pairValues.length = 0;
    for (let a = m; a; a = (a - 1) & m) {
      if (!(a & low)) continue;
      const bc = blockCosts[a]!;
      if (bc.length === 0) continue;
      const bv = blockValues[a]!;
      const rc = costs[m ^ a]!;
      const rv = values[m ^ a]!;
      for (let x = 0; x < bc.length; x++) {
        for (let y = 0; y < rc.length; y++) {
          const cost = bc[x]! + rc[y]!;
          if (cost > budget + EPS) break;
          pairCosts.push(cost);
          pairValues.push(bv[x]! + rv[y]!);
        }
      }
    }
    const order = pairCosts.map((_, k) => k).sort((p, q) => pairCosts[p]! - pairCosts[q]! || pairValues[p]! - pairValues[q]!);
    const fc: number[] = [];
    const fv: number[] = [];
    for (const k of order) {
      if (fv.length === 0 || pairValues[k]! < fv[fv.length - 1]! - EPS) {
        if (fc.length > 0 && Math.abs(fc[fc.length - 1]! - pairCosts[k]!) <= EPS) continue;
        fc.push(pairCosts[k]!);
        fv.push(pairValues[k]!);
      }
    }
    costs[m] = Float64Array.from(fc);
    values[m] = Float64Array.from(fv);
  }
  return { tasks, costs, values };
}

/** Insert (cost, value) into a small Pareto front kept as two parallel arrays. */
function addToFront(costs: number[], values: number[], cost: number, value: number): void {
  for (let k = 0; k < costs.length; k++) {
    if (costs[k]! <= cost + EPS && values[k]! <= value + EPS) return;
  }
  const keep = costs.map((c, k) => !(cost <= c + EPS && value <= values[k]! + EPS));
  const nc = costs.filter((_, k) => keep[k]);
  const nv = values.filter((_, k) => keep[k]);
  nc.push(cost);
  nv.push(value);
  const order = nc.map((_, k) => k).sort((p, q) => nc[p]! - nc[q]!);
  costs.length = 0;
  values.length = 0;
  for (const k of order) {
    costs.push(nc[k]!);
    values.push(nv[k]!);
  }
}

/** The best value of serving exactly `mask` at cost ≤ `budget` (Infinity when impossible). */
export function bestWithin(fronts: ServingFronts, mask: number, budget: number): number {
  const c = fronts.costs[mask]!;
  let best = Infinity;
  for (let k = 0; k < c.length && c[k]! <= budget + EPS; k++) best = fronts.values[mask]![k]!;
  return best;
}

/**
 * The exact best total reachable from a partial selection when any of the networks the
 * fronts were built from may still be added within `budget`: min over task sets M of
 * (best value serving M with new networks) + (current values of the tasks outside M).
 * `current[j]` is Infinity for a task nothing serves yet (it must then be in M).
 * `scratch` is a Float64Array of 2^T entries reused between calls.
 */
export function completionBound(fronts: ServingFronts, current: Float64Array, budget: number, scratch: Float64Array): number {
  const n = fronts.tasks;
  const size = 1 << n;
  let uncovered = 0;
  let coveredTotal = 0;
  for (let j = 0; j < n; j++) {
    if (current[j] === Infinity) uncovered |= 1 << j;
    else coveredTotal += current[j]!;
  }
  // scratch[M] = Σ over covered j in M of current[j].
  scratch[0] = 0;
  let best = Infinity;
  for (let m = 1; m < size; m++) {
    const low = m & -m;
    const j = 31 - Math.clz32(low);
    scratch[m] = scratch[m ^ low]! + (current[j] === Infinity ? 0 : current[j]!);
  }
  if (uncovered === 0) best = coveredTotal;
  for (let m = 1; m < size; m++) {
    if ((m & uncovered) !== uncovered) continue;
    const v = bestWithin(fronts, m, budget);
    if (v === Infinity) continue;
    const total = v + coveredTotal - scratch[m]!;
    if (total < best) best = total;
  }
  return best;
}
