import { MtlError } from '../errors.js';
import { Random } from '../random/random.js';
import type { ArrayDataset } from './dataset.js';

/**
 * Train/test splits: seeded, reproducible, and stratified for classification tasks, so
 * that a held-out part has the same class (and missing-label) proportions as the whole.
 */

/**
 * Choose `round(n · fraction)` of `rows` to hold out. Without strata: the first ones of
 * a seeded permutation. With strata (`strata[row]` is a stratum id ≥ 0): each stratum
 * holds out its share n_s · H / n, rounded down, and the remaining ones go to the
 * strata with the largest remainders (ties: the stratum seen first), chosen within the
 * stratum by a seeded permutation. Returns the held-out rows, sorted.
 *
 * @throws MtlError `config.bad_split` when either part would be empty.
 */
export function chooseHeldOut(rows: Int32Array, strata: Int32Array | null, fraction: number, random: Random, path: string): Int32Array {
  const n = rows.length;
  const held = Math.round(n * fraction);
  if (!(fraction > 0 && fraction < 1) || held === 0 || held === n) {
    throw new MtlError({
      code: 'config.bad_split',
      path,
      expected: `a fraction in (0, 1) leaving both parts non-empty for ${n} examples`,
      found: String(fraction),
      fix: n < 2 ? 'add examples: a split needs at least two' : `use a fraction between ${(1 / n).toPrecision(2)} and ${(1 - 1 / n).toPrecision(2)}`,
    });
  }
  if (!strata) {
    const order = random.permutation(n);
    const out = new Int32Array(held);
    for (let i = 0; i < held; i++) out[i] = rows[order[i]!]!;
    return out.sort();
  }
  // Members of each stratum, in row order; strata numbered in order of first appearance here.
  const ids = new Map<number, number>();
  const members: number[][] = [];
  for (let i = 0; i < n; i++) {
    const s = strata[rows[i]!]!;
    let k = ids.get(s);
    if (k === undefined) {
      k = members.length;
      ids.set(s, k);
      members.push([]);
    }
    members[k]!.push(rows[i]!);
  }
  const quota = members.map((m) => Math.floor((m.length * held) / n));
  let remaining = held - quota.reduce((a, b) => a + b, 0);
  const byRemainder = members
    .map((m, k) => ({ k, r: (m.length * held) / n - quota[k]! }))
    .sort((a, b) => b.r - a.r || a.k - b.k);
  for (const { k } of byRemainder) {
    if (remaining === 0) break;
    if (quota[k]! < members[k]!.length) {
      quota[k]!++;
      remaining--;
    }
  }
  const out = new Int32Array(held);
  let at = 0;
  members.forEach((m, k) => {
    const order = random.permutation(m.length);
    for (let i = 0; i < quota[k]!; i++) out[at++] = m[order[i]!]!;
  });
  return out.sort();
}

/** Options of {@link trainTestSplit}. */
export interface TrainTestSplitArgs {
  /** Fraction of the examples in the test part (rounded to a whole number of examples). */
  testFraction: number;
  /** Seed of the split; the same seed gives the same split. */
  seed: number;
  /**
   * Tasks whose labels define the strata (jointly; a missing label is a value of its
   * own), or `false` for a plain random split. Only binary and multiclass tasks can
   * stratify. @defaultValue every task whose labels are marked binary or multiclass
   * (`TaskLabels.kind`, set by the CSV loader), none otherwise
   */
  stratifyBy?: string | string[] | false;
}

/**
 * Split a data set into a training and a test part: seeded, and stratified by the
 * classification tasks' labels so that both parts keep the class proportions (see
 * {@link chooseHeldOut}). The parts keep the examples' order.
 *
 * @example
 * ```ts
 * const { dataset } = loadCsvDataset('data.csv', { features: 'rest', targets });
 * const { train, test } = trainTestSplit(dataset, { testFraction: 0.2, seed: 0 });
 * ```
 * @throws MtlError `config.bad_split` for a fraction that leaves a part empty,
 *   `data.unknown_task` / `data.bad_stratify` for a task that cannot stratify.
 */
export function trainTestSplit(dataset: ArrayDataset, args: TrainTestSplitArgs): { train: ArrayDataset; test: ArrayDataset } {
  const names =
    args.stratifyBy === false
      ? []
      : args.stratifyBy === undefined
        ? dataset.taskNames.filter((t) => dataset.targets[t]!.kind === 'binary' || dataset.targets[t]!.kind === 'multiclass')
        : [args.stratifyBy].flat();
  const strata = names.length > 0 ? labelStrata(dataset, names) : null;
  const all = Int32Array.from({ length: dataset.size }, (_, i) => i);
  const test = chooseHeldOut(all, strata, args.testFraction, new Random(`${args.seed}:split:test`), 'trainTestSplit: testFraction');
  const isTest = new Uint8Array(dataset.size);
  for (const i of test) isTest[i] = 1;
  const train = all.filter((i) => isTest[i] === 0);
  return {
    train: dataset.subset(train, `${dataset.source} (train part)`),
    test: dataset.subset(test, `${dataset.source} (test part)`),
  };
}

/** Stratum ids from the joint labels of classification tasks (a missing label counts as a label of its own). */
function labelStrata(dataset: ArrayDataset, names: string[]): Int32Array {
  const labels = names.map((name) => {
    const t = dataset.targets[name];
    if (!t) {
      throw new MtlError({
        code: 'data.unknown_task',
        path: 'trainTestSplit: stratifyBy',
        expected: `a task of the data set: one of [${dataset.taskNames.join(', ')}]`,
        found: JSON.stringify(name),
      });
    }
    if (t.width !== 1 || (t.kind !== undefined && t.kind !== 'binary' && t.kind !== 'multiclass')) {
      throw new MtlError({
        code: 'data.bad_stratify',
        path: 'trainTestSplit: stratifyBy',
        expected: 'binary or multiclass tasks (one class label per example)',
        found: `task "${name}"${t.kind ? ` of kind ${t.kind}` : ` with ${t.width} label columns`}`,
        fix: 'stratify by classification tasks only, or pass stratifyBy: false',
      });
    }
    return t;
  });
  const ids = new Map<string, number>();
  const strata = new Int32Array(dataset.size);
  for (let i = 0; i < dataset.size; i++) {
    const key = labels.map((t) => (t.mask && t.mask[i] === 0 ? '-' : String(t.values[i]))).join('|');
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    strata[i] = id;
  }
  return strata;
}
