import type { PairwiseModel } from './pairwiseModel.js';
import { GROUPING_EPSILON as EPS } from './selection.js';

/** Options of {@link pairwiseLowerBound}. */
export interface PairwiseBoundOptions {
  /** Subgradient iterations (at most). @defaultValue 1000 */
  iterations?: number;
}

/**
 * A proven lower bound on the best total any selection within `budget` reaches under a
 * {@link PairwiseModel}, for any number of tasks, by Lagrangian relaxation.
 *
 * Every task is served by one network; a network serving a tasks has at least a
 * members, so (values being means over the other members) a task j it serves is worth at
 * least bottom_j(a − 1), the mean of j's a − 1 smallest pairwise values; a network
 * serving one task is worth at least min(bottom_j(1), its single value). Choosing "parts"
 * (a served-set size and a network kind, with its cost) whose sizes sum to T within the
 * budget, and tasks for each part, is then a relaxation. Relaxing "each task in exactly
 * one part" with multipliers μ leaves a knapsack over part sizes and costs, solved exactly
 * by dynamic programming; subgradient steps (Polyak's rule towards `upper`, a known
 * selection's total) raise the bound. Every iterate is a valid bound; the best is returned.
 */
export function pairwiseLowerBound(model: PairwiseModel, budget: number, upper: number, options: PairwiseBoundOptions = {}): { bound: number; iterations: number } {
  const n = model.tasks.length;
  const full = model.singles.find((s) => s.size === 'full');
  // bottom[j][m] = mean of task j's m smallest pairwise values (m = 1..n−1).
  const bottom = Array.from({ length: n }, (_, j) => {
    const column = model.pair.map((row, i) => (i === j ? Infinity : row[j]!)).sort((a, b) => a - b).slice(0, n - 1);
    const out = new Float64Array(n);
    let sum = 0;
    column.forEach((v, m) => {
      sum += v;
      out[m + 1] = sum / (m + 1);
    });
    return out;
  });
  // Part kinds: [size a, cost, value of task j].
  interface Part {
    size: number;
    cost: number;
    value: (j: number) => number;
  }
  const parts: Part[] = [{ size: 1, cost: model.groupCost, value: (j) => Math.min(n > 1 ? bottom[j]![1]! : Infinity, full ? full.values[j]! : Infinity) }];
  for (const s of model.singles) if (s.size !== 'full') parts.push({ size: 1, cost: s.cost, value: (j) => s.values[j]! });
  for (let a = 2; a <= n; a++) parts.push({ size: a, cost: model.groupCost, value: (j) => bottom[j]![a - 1]! });

  const mu = new Float64Array(n);
  let best = -Infinity;
  let step = 2;
  let sinceImprovement = 0;
  const iterations = options.iterations ?? 1000;
  const knapsack = partKnapsack(parts, n, budget);
  const reducedValues = new Float64Array(parts.length);
  const partTasks: Int32Array[] = parts.map((p) => new Int32Array(p.size));
  const scratch = new Float64Array(n);
  const order = new Int32Array(n);
  const partValues = parts.map((p) => Float64Array.from({ length: n }, (_, j) => p.value(j)));
  let done = 0;
  for (let it = 0; it < iterations; it++) {
    done++;
    // Each part's reduced cost: the a smallest value(j) − μ_j, and which tasks.
    parts.forEach((p, k) => {
      const values = partValues[k]!;
      for (let j = 0; j < n; j++) {
        scratch[j] = values[j]! - mu[j]!;
        order[j] = j;
      }
      order.sort((x, y) => scratch[x]! - scratch[y]!);
      let sum = 0;
      for (let q = 0; q < p.size; q++) {
        sum += scratch[order[q]!]!;
        partTasks[k]![q] = order[q]!;
      }
      reducedValues[k] = sum;
    });
    const plan = knapsack(reducedValues);
    if (!plan) return { bound: Infinity, iterations: done };
    let value = plan.value;
    for (let j = 0; j < n; j++) value += mu[j]!;
    if (value > best + EPS) {
      best = value;
      sinceImprovement = 0;
    } else if (++sinceImprovement >= 15) {
      step /= 2;
      sinceImprovement = 0;
    }
    if (upper - best <= EPS * Math.max(1, Math.abs(upper)) || step < 1e-6) break;
    const count = new Float64Array(n);
    for (const k of plan.parts) for (const j of partTasks[k]!) count[j]! += 1;
    let norm = 0;
    for (let j = 0; j < n; j++) norm += (1 - count[j]!) ** 2;
    if (norm === 0) break;
    const t = (step * Math.max(upper - value, EPS)) / norm;
    for (let j = 0; j < n; j++) mu[j]! += t * (1 - count[j]!);
  }
  return { bound: Math.min(best, upper), iterations: done };
}

/**
 * Unbounded knapsack with an exact total size: the multiset of parts whose sizes sum to
 * `total`, with cost ≤ `budget`, minimising the summed part values. Returns a solver for
 * given part values. When every cost is a whole multiple of a common unit the table is
 * indexed by (size, cost in units); otherwise by size with Pareto fronts of (cost, value).
 */
function partKnapsack(
  parts: readonly { size: number; cost: number }[],
  total: number,
  budget: number,
): (values: Float64Array) => { value: number; parts: number[] } | undefined {
  const smallest = Math.min(...parts.map((p) => p.cost));
  let unit = 0;
  for (let k = 1; k <= 12 && unit === 0; k++) {
    const u = smallest / k;
    if (parts.every((p) => Math.abs(p.cost / u - Math.round(p.cost / u)) < 1e-9)) unit = u;
  }
  if (unit === 0 || budget / unit > 4096) return (values) => cheapestParts(parts, values, total, budget);
  const capacity = Math.floor(budget / unit + 1e-9);
  const weights = parts.map((p) => Math.round(p.cost / unit));
  const width = capacity + 1;
  const table = new Float64Array((total + 1) * width);
  const choice = new Int32Array((total + 1) * width);
  return (values) => {
    table.fill(Infinity);
    table[0] = 0;
    for (let s = 1; s <= total; s++) {
      for (let c = 0; c <= capacity; c++) {
        let best = Infinity;
        let arg = -1;
        for (let k = 0; k < parts.length; k++) {
          const a = parts[k]!.size;
          const w = weights[k]!;
          if (a > s || w > c) continue;
          const v = table[(s - a) * width + c - w]! + values[k]!;
          if (v < best) {
            best = v;
            arg = k;
          }
        }
        table[s * width + c] = best;
        choice[s * width + c] = arg;
      }
    }
    let end = -1;
    for (let c = 0; c <= capacity; c++) if (end < 0 || table[total * width + c]! < table[total * width + end]!) end = c;
    if (!(table[total * width + end]! < Infinity)) return undefined;
    const chosen: number[] = [];
    for (let s = total, c = end; s > 0; ) {
      const k = choice[s * width + c]!;
      chosen.push(k);
      s -= parts[k]!.size;
      c -= weights[k]!;
    }
    return { value: table[total * width + end]!, parts: chosen };
  };
}

/** {@link partKnapsack} for costs without a common unit: Pareto fronts of (cost, value) per size. */
function cheapestParts(
  parts: readonly { size: number; cost: number }[],
  values: ArrayLike<number>,
  total: number,
  budget: number,
): { value: number; parts: number[] } | undefined {
  interface Entry {
    cost: number;
    value: number;
    part: number;
    from: Entry | null;
  }
  const fronts: Entry[][] = [[{ cost: 0, value: 0, part: -1, from: null }]];
  for (let s = 1; s <= total; s++) {
    const entries: Entry[] = [];
    parts.forEach((p, k) => {
      if (p.size > s) return;
      for (const e of fronts[s - p.size]!) {
        const cost = e.cost + p.cost;
        if (cost > budget + EPS) continue;
        entries.push({ cost, value: e.value + values[k]!, part: k, from: e });
      }
    });
    entries.sort((x, y) => x.cost - y.cost || x.value - y.value);
    const front: Entry[] = [];
    for (const e of entries) if (front.length === 0 || e.value < front[front.length - 1]!.value - EPS) front.push(e);
    fronts[s] = front;
  }
  const last = fronts[total]!;
  if (last.length === 0) return undefined;
  let end = last[0]!;
  for (const e of last) if (e.value < end.value) end = e;
  const chosen: number[] = [];
  for (let e: Entry | null = end; e && e.part >= 0; e = e.from) chosen.push(e.part);
  return { value: end.value, parts: chosen };
}
