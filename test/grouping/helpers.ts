import { standleyCandidates, type Candidate } from '../../src/grouping/candidates.js';
import type { LossTable } from '../../src/grouping/lossTable.js';
import { Random } from '../../src/random/random.js';

export const taskNames = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

/**
 * A random table: `uniform` draws every value independently in [0.6, 1.4] (the hardest
 * case: no structure to prune on); `structured` builds values from a random pairwise
 * affinity (a task's value in a group is its single value times 1 − the mean affinity of
 * the others onto it, plus noise), as trained networks behave.
 */
export function randomTable(n: number, seed: number, kind: 'uniform' | 'structured', keep?: number): LossTable {
  const r = new Random(`table:${n}:${seed}:${kind}`);
  const tasks = taskNames(n);
  let candidates: Candidate[] = standleyCandidates(tasks);
  if (keep !== undefined && candidates.length > keep) {
    // All single-task networks plus a random sample of the groups.
    const singles = candidates.filter((c) => c.tasks.length === 1);
    const groups = r.shuffle(candidates.filter((c) => c.tasks.length > 1)).slice(0, keep - singles.length);
    candidates = [...singles, ...groups];
  }
  const affinity = tasks.map(() => tasks.map(() => r.normal(0, 0.15)));
  const single = tasks.map(() => 0.5 + r.next());
  return {
    tasks,
    candidates: candidates.map((c) => ({
      ...c,
      values: Object.fromEntries(
        c.tasks.map((t) => {
          const j = tasks.indexOf(t);
          if (kind === 'uniform') return [t, 0.6 + 0.8 * r.next() + (c.size === 'half' ? 0.1 : 0)];
          if (c.tasks.length === 1) return [t, single[j]! * (c.size === 'half' ? 1.1 : 1)];
          const others = c.tasks.filter((s) => s !== t).map((s) => affinity[tasks.indexOf(s)]![j]!);
          const mean = others.reduce((a, b) => a + b, 0) / others.length;
          return [t, single[j]! * (1 - mean + r.normal(0, 0.03))];
        }),
      ),
    })),
  };
}

/** Number of sets of at most `picks` out of `m` (what brute force visits at most). */
export function setsUpTo(m: number, picks: number): number {
  let total = 0;
  let c = 1;
  for (let k = 0; k <= picks; k++) {
    total += c;
    c = (c * (m - k)) / (k + 1);
  }
  return total;
}
