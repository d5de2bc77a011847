import { MtlError } from '../errors.js';
import { candidateId } from './candidates.js';
import { checkTable, type LossTable } from './lossTable.js';
import type { PairwiseModel, SingleOption } from './pairwiseModel.js';
import { selectPairwise, type PairwiseSearchOptions } from './pairwiseSearch.js';
import type { Selection } from './selection.js';

/**
 * Standley et al.'s higher-order approximation (HOA, ICML 2020): train only
 * the single-task networks and the networks of every pair, and predict task j's loss in a
 * larger network S as the mean over the pairs {i, j} ⊂ S of the pair network's loss on j.
 * This turns a (normalised) table of singles and pairs into a {@link PairwiseModel}.
 *
 * @throws MtlError `grouping.missing_pair` when a pair network is missing, `grouping.no_reference`
 *   when a task has no full-size single-task network, and the table errors
 * @example
 * ```ts
 * // Pairs a+b (a 0.8, b 0.9), a+c (a 1.0, c 1.2), b+c (b 1.1, c 0.7):
 * // predicted loss of a in a+b+c = (0.8 + 1.0) / 2 = 0.9; of c = (1.2 + 0.7) / 2 = 0.95.
 * ```
 */
export function hoaModel(input: LossTable, options: { groupCost?: number } = {}): PairwiseModel {
  const table = checkTable(input.tasks, input.candidates);
  const n = table.tasks.length;
  const byId = new Map(table.candidates.map((c) => [c.id, c]));
  const pair = table.tasks.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const id = candidateId([table.tasks[i]!, table.tasks[j]!]);
      const c = byId.get(id);
      if (!c) {
        throw new MtlError({
          code: 'grouping.missing_pair',
          path: `candidates`,
          expected: `the network of the pair ${id} (HOA predicts every group from the pair networks)`,
          found: 'none',
          fix: 'train every pair of tasks, or use the exact method on the networks you have',
        });
      }
      pair[i]![j] = c.values[table.tasks[j]!]!;
      pair[j]![i] = c.values[table.tasks[i]!]!;
    }
  }
  const singles: SingleOption[] = [];
  for (const size of ['full', 'half'] as const) {
    const found = table.tasks.map((t) => byId.get(candidateId([t], size)));
    if (found.every((c) => c !== undefined)) singles.push({ size, cost: found[0]!.cost, values: found.map((c, j) => c!.values[table.tasks[j]!]!) });
    else if (size === 'full') {
      const missing = table.tasks[found.findIndex((c) => c === undefined)]!;
      throw new MtlError({ code: 'grouping.no_reference', path: 'candidates', expected: `the single-task network of every task`, found: `none for "${missing}"`, fix: 'train the single-task networks too' });
    }
  }
  return { tasks: [...table.tasks], pair, groupCost: options.groupCost ?? singles[0]!.cost, singles };
}

/**
 * HOA's selection: the networks within `budget` minimising the summed predicted losses of
 * {@link hoaModel} (exact up to `exactTasks` tasks, else the local search with its
 * optimality gap, see {@link selectPairwise}).
 */
export function selectHoa(table: LossTable, budget: number, options: PairwiseSearchOptions = {}): Selection {
  return selectPairwise(hoaModel(table), budget, options);
}
