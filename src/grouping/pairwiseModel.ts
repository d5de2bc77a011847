import { MtlError } from '../errors.js';
import { candidateId, checkGroupingTasks, forEachCombination, type NetworkSize } from './candidates.js';
import type { LossTable, ScoredCandidate } from './lossTable.js';

/**
 * A prediction of every group's per-task value from pairwise numbers, the structure HOA and
 * TAG share (lower is better): in a network of the tasks S (|S| ≥ 2), task j's value is
 * the mean over i ∈ S, i ≠ j of `pair[i][j]`. HOA fills `pair[i][j]` with the loss of j in
 * the network trained on {i, j}; TAG with −Z_{i→j}, the negated lookahead affinity of i
 * onto j. A network of one task has its own value per {@link SingleOption}.
 */
export interface PairwiseModel {
  tasks: string[];
  /** `pair[i][j]`: what task i brings to task j (diagonal unused). */
  pair: number[][];
  /** Cost of a multi-task network. @defaultValue 1 */
  groupCost: number;
  /**
   * The single-task networks a selection may use, each with a value per task, at most one
   * per size. The `full` one, when present, is the network of one task at the group cost.
   */
  singles: SingleOption[];
}

/** A kind of single-task network: its size, cost, and value for each task (by task index). */
export interface SingleOption {
  size: NetworkSize;
  cost: number;
  values: number[];
}

/**
 * Task j's value in a full-size network of the tasks `members` (indices), by the model; a
 * network of one task takes the `full` single option's value (Infinity when there is none).
 */
export function predictedValue(model: PairwiseModel, members: readonly number[], j: number): number {
  if (members.length === 1) return model.singles.find((s) => s.size === 'full')?.values[j] ?? Infinity;
  let sum = 0;
  for (const i of members) if (i !== j) sum += model.pair[i]![j]!;
  return sum / (members.length - 1);
}

/**
 * Check a model: square finite pair matrix, finite single values, positive costs.
 * @throws MtlError `grouping.too_few_tasks`, `grouping.bad_matrix`, `grouping.bad_cost`
 */
export function checkPairwiseModel(model: PairwiseModel): void {
  checkGroupingTasks(model.tasks);
  const n = model.tasks.length;
  if (model.pair.length !== n || model.pair.some((row) => row.length !== n)) {
    throw new MtlError({
      code: 'grouping.bad_matrix',
      path: 'pair',
      expected: `a ${n}×${n} matrix (one row and column per task)`,
      found: `${model.pair.length} rows of lengths [${model.pair.map((r) => r.length).join(', ')}]`,
    });
  }
  model.pair.forEach((row, i) =>
    row.forEach((v, j) => {
      if (i !== j && !Number.isFinite(v)) {
        throw new MtlError({ code: 'grouping.bad_matrix', path: `pair[${i}][${j}] (${model.tasks[i]} → ${model.tasks[j]})`, expected: 'a finite number', found: String(v) });
      }
    }),
  );
  for (const [k, s] of model.singles.entries()) {
    if (!(s.cost > 0) || s.values.length !== n || !s.values.every(Number.isFinite)) {
      throw new MtlError({ code: 'grouping.bad_matrix', path: `singles[${k}]`, expected: `a positive cost and ${n} finite values`, found: `cost ${s.cost}, ${s.values.length} values` });
    }
  }
  const sizes = model.singles.map((s) => s.size);
  if (new Set(sizes).size !== sizes.length) {
    throw new MtlError({ code: 'grouping.bad_matrix', path: 'singles', expected: 'at most one single-task option per size', found: `sizes [${sizes.join(', ')}]` });
  }
  if (!(model.groupCost > 0)) throw new MtlError({ code: 'grouping.bad_cost', path: 'groupCost', expected: 'a positive cost', found: String(model.groupCost) });
  const full = model.singles.find((s) => s.size === 'full');
  if (full && Math.abs(full.cost - model.groupCost) > 1e-12) {
    throw new MtlError({ code: 'grouping.bad_cost', path: 'singles (full)', expected: `the group cost ${model.groupCost} (a full-size network of one task)`, found: String(full.cost) });
  }
}

/**
 * The model written out as a table of every network up to `maxGroupSize` tasks (for the
 * exact branch and bound on small task sets): each single option, then every subset.
 */
export function pairwiseTable(model: PairwiseModel, maxGroupSize = model.tasks.length): LossTable {
  const n = model.tasks.length;
  const candidates: ScoredCandidate[] = [];
  for (const s of model.singles) {
    model.tasks.forEach((t, j) => candidates.push({ id: candidateId([t], s.size), tasks: [t], size: s.size, cost: s.cost, values: { [t]: s.values[j]! } }));
  }
  for (let k = 2; k <= Math.min(maxGroupSize, n); k++) {
    forEachCombination(n, k, (idx) => {
      const tasks = idx.map((i) => model.tasks[i]!);
      const values: Record<string, number> = {};
      for (const j of idx) values[model.tasks[j]!] = predictedValue(model, idx, j);
      candidates.push({ id: candidateId(tasks), tasks, size: 'full', cost: model.groupCost, values });
    });
  }
  return { tasks: [...model.tasks], candidates };
}
