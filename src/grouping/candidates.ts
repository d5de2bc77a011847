import { MtlError, closest } from '../errors.js';

/** Whether a candidate network uses the experiment's encoder or the half-size one. */
export type NetworkSize = 'full' | 'half';

/**
 * One network a grouping search may choose: the tasks it is trained on (it serves each of
 * them) and its inference cost, in units of one full-size encoder's inference time.
 */
export interface Candidate {
  /** Stable name: the tasks joined by `+` in experiment order, `@half` for a half-size network (`a+b`, `c@half`). */
  id: string;
  /** Its tasks, in experiment order. */
  tasks: string[];
  size: NetworkSize;
  cost: number;
}

/** Options of {@link standleyCandidates}. */
export interface CandidateOptions {
  /** Inference cost of one network with the experiment's encoder (any number of tasks). @defaultValue 1 */
  fullCost?: number;
  /**
   * Inference cost of a half-size single-task network, or `false` for none. Standley et
   * al. add, for every task, a network with fewer channels at half the cost.
   * @defaultValue 0.5
   */
  halfCost?: number | false;
  /** Largest number of tasks in one network. @defaultValue the number of tasks */
  maxGroupSize?: number;
  /**
   * The multi-task networks to consider, as lists of task names, instead of every subset
   * (the full-size single-task networks are always included, and the half-size ones unless
   * `halfCost` is false).
   */
  subsets?: readonly (readonly string[])[];
}

/** The largest number of candidate networks a search enumerates (every subset of 20 tasks is about a million). */
export const MAX_CANDIDATES = 1 << 20;

/** The id of the network training `tasks` (given in experiment order) at `size`. */
export function candidateId(tasks: readonly string[], size: NetworkSize = 'full'): string {
  return tasks.join('+') + (size === 'half' ? '@half' : '');
}

/**
 * Check a task list for a grouping search: at least two tasks, each named once.
 * @throws MtlError `grouping.too_few_tasks`, `grouping.duplicate_task`
 */
export function checkGroupingTasks(tasks: readonly string[], path = 'tasks'): void {
  if (tasks.length < 2) {
    throw new MtlError({
      code: 'grouping.too_few_tasks',
      path,
      expected: 'at least two tasks (a grouping decides which tasks share a network)',
      found: tasks.length === 0 ? 'no task' : `one task ("${tasks[0]}")`,
      fix: 'add tasks to the experiment, or train the single task with mtl train',
    });
  }
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t)) {
      throw new MtlError({ code: 'grouping.duplicate_task', path, expected: 'every task named once', found: `"${t}" twice`, fix: 'give every task its own name' });
    }
    seen.add(t);
  }
}

/**
 * Put a list of task names into experiment order, checking every name.
 * @throws MtlError `grouping.unknown_task` (with a did-you-mean), `grouping.bad_subset` for an empty or repeated list
 */
export function orderSubset(tasks: readonly string[], subset: readonly string[], path = 'subset'): string[] {
  if (subset.length === 0) {
    throw new MtlError({ code: 'grouping.bad_subset', path, expected: 'a non-empty list of task names', found: 'an empty list' });
  }
  const index = new Map(tasks.map((t, i) => [t, i]));
  const seen = new Set<string>();
  for (const name of subset) {
    if (!index.has(name)) {
      const near = closest(name, tasks);
      throw new MtlError({
        code: 'grouping.unknown_task',
        path,
        expected: `task names of the experiment: one of [${tasks.join(', ')}]`,
        found: `"${name}"`,
        ...(near ? { fix: `did you mean "${near}"?` } : { fix: 'name only the experiment\'s tasks' }),
      });
    }
    if (seen.has(name)) {
      throw new MtlError({ code: 'grouping.bad_subset', path, expected: 'each task at most once in a network', found: `"${name}" twice` });
    }
    seen.add(name);
  }
  return [...subset].sort((a, b) => index.get(a)! - index.get(b)!);
}

/**
 * Standley et al.'s candidate networks ("Which Tasks Should Be Learned Together in
 * Multi-task Learning?", ICML 2020): every non-empty subset of the tasks trained as one
 * network with the full encoder (cost `fullCost`), plus one half-size single-task network
 * per task (cost `halfCost`). Ordered by size, then in experiment order.
 *
 * @throws MtlError `grouping.too_few_tasks`, `grouping.unknown_task`, `grouping.bad_option`,
 *   `grouping.too_many_candidates` (more than `MAX_CANDIDATES` networks).
 * @example
 * ```ts
 * standleyCandidates(['a', 'b']).map((c) => `${c.id}:${c.cost}`);
 * // ['a:1', 'b:1', 'a@half:0.5', 'b@half:0.5', 'a+b:1']
 * ```
 */
export function standleyCandidates(tasks: readonly string[], options: CandidateOptions = {}): Candidate[] {
  checkGroupingTasks(tasks);
  const fullCost = options.fullCost ?? 1;
  const halfCost = options.halfCost ?? 0.5;
  const maxGroupSize = options.maxGroupSize ?? tasks.length;
  checkPositive('fullCost', fullCost);
  if (halfCost !== false) checkPositive('halfCost', halfCost);
  if (!Number.isInteger(maxGroupSize) || maxGroupSize < 1) {
    throw new MtlError({ code: 'grouping.bad_option', path: 'maxGroupSize', expected: 'a positive integer', found: String(maxGroupSize) });
  }
  const out: Candidate[] = tasks.map((t) => ({ id: candidateId([t]), tasks: [t], size: 'full' as const, cost: fullCost }));
  if (halfCost !== false) for (const t of tasks) out.push({ id: candidateId([t], 'half'), tasks: [t], size: 'half', cost: halfCost });
  if (options.subsets) {
    const seen = new Set(out.map((c) => c.id));
    options.subsets.forEach((s, i) => {
      const ordered = orderSubset(tasks, s, `subsets[${i}]`);
      const id = candidateId(ordered);
      if (ordered.length > 1 && !seen.has(id)) {
        seen.add(id);
        out.push({ id, tasks: ordered, size: 'full', cost: fullCost });
      }
    });
    return out;
  }
  const n = tasks.length;
  let count = out.length;
  for (let k = 2; k <= Math.min(maxGroupSize, n); k++) count += binomial(n, k);
  if (count > MAX_CANDIDATES) {
    throw new MtlError({
      code: 'grouping.too_many_candidates',
      path: 'tasks',
      expected: `at most ${MAX_CANDIDATES} candidate networks`,
      found: `${count} for ${n} tasks`,
      fix: 'set maxGroupSize, list the subsets to try, or use the HOA or TAG method, which need no table of every subset',
    });
  }
  for (let k = 2; k <= Math.min(maxGroupSize, n); k++) {
    forEachCombination(n, k, (idx) => {
      const members = idx.map((i) => tasks[i]!);
      out.push({ id: candidateId(members), tasks: members, size: 'full', cost: fullCost });
    });
  }
  return out;
}

/**
 * The networks the higher-order approximation (HOA) trains: every task alone (full size,
 * and half size unless `halfCost` is false) and every pair.
 */
export function pairCandidates(tasks: readonly string[], options: Pick<CandidateOptions, 'fullCost' | 'halfCost'> = {}): Candidate[] {
  return standleyCandidates(tasks, { ...options, maxGroupSize: 2 });
}

/** Call `fn` with every k-subset of 0..n−1 as ascending indices (lexicographic order). */
export function forEachCombination(n: number, k: number, fn: (indices: number[]) => void): void {
  const idx = Array.from({ length: k }, (_, i) => i);
  if (k > n || k <= 0) return;
  for (;;) {
    fn([...idx]);
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]! += 1;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1;
  }
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

function checkPositive(name: string, value: number): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new MtlError({ code: 'grouping.bad_option', path: name, expected: 'a positive number', found: String(value) });
  }
}
