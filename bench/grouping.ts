/**
 * `npm run bench -- grouping`: how long the grouping selections take (no training).
 *
 * 1. Standley's exact search over 8 tasks: all 255 task subsets plus 8 half-size networks,
 *    at every budget from 1 to 8 in steps of 0.5, on random tables (independent values, the
 *    hardest case; and values built from pairwise affinities, as trained networks give).
 *    Reference in the same run: the same branch and bound without the exact completion bound
 *    (Standley's pruning alone), capped at 3 million nodes.
 * 2. TAG's and HOA's selection over 30 tasks, where the 2^30 subsets cannot be written out:
 *    the local search with its Lagrangian bound, on planted tables (6 clusters of 5 with
 *    noise) and on random ones, with the proven optimality gap. Reference in the same run:
 *    the same solver on 10 tasks, where the exact optimum is known.
 *
 *   node --import tsx bench/grouping.ts
 */
import { branchAndBound } from '../src/grouping/branchAndBound.js';
import { standleyCandidates } from '../src/grouping/candidates.js';
import type { LossTable } from '../src/grouping/lossTable.js';
import { pairwiseTable, type PairwiseModel } from '../src/grouping/pairwiseModel.js';
import { selectPairwise } from '../src/grouping/pairwiseSearch.js';
import { selectTag } from '../src/grouping/taskAffinityGrouping.js';
import { Random } from '../src/random/random.js';
import { machineLine } from './machine.js';

console.log(`machine: ${machineLine()}`);
console.log('(a shared machine: other jobs run beside this one, so times vary between runs; compare within a run)\n');

const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

function table8(seed: number, kind: 'uniform' | 'structured'): LossTable {
  const r = new Random(`bench-table:${seed}:${kind}`);
  const tasks = names(8);
  const affinity = tasks.map(() => tasks.map(() => r.normal(0, 0.15)));
  return {
    tasks,
    candidates: standleyCandidates(tasks).map((c) => ({
      ...c,
      values: Object.fromEntries(
        c.tasks.map((t) => {
          const j = tasks.indexOf(t);
          if (kind === 'uniform') return [t, 0.6 + 0.8 * r.next() + (c.size === 'half' ? 0.1 : 0)];
          if (c.tasks.length === 1) return [t, c.size === 'half' ? 1.1 : 1];
          const others = c.tasks.filter((s) => s !== t).map((s) => affinity[tasks.indexOf(s)]![j]!);
          return [t, 1 - others.reduce((a, b) => a + b, 0) / others.length + r.normal(0, 0.03)];
        }),
      ),
    })),
  };
}

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
};

console.log('## 1. Exact search, 8 tasks, 263 candidate networks, budgets 1, 1.5, …, 8\n');
console.log('| tables | selections | median | slowest | nodes (max) | without the exact bound (median, slowest) | ratio of medians |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const kind of ['uniform', 'structured'] as const) {
  const ours: number[] = [];
  const plain: number[] = [];
  let capped = false;
  let maxNodes = 0;
  for (let seed = 0; seed < 3; seed++) {
    const table = table8(seed, kind);
    for (let budget = 1; budget <= 8; budget += 0.5) {
      const [fast, ms] = time(() => branchAndBound(table, budget));
      ours.push(ms);
      maxNodes = Math.max(maxNodes, fast.evaluations);
      if (seed === 0) {
        const [slow, msPlain] = time(() => branchAndBound(table, budget, { exactBoundTasks: 0, maxNodes: 3_000_000 }));
        if (!slow.optimal) capped = true;
        plain.push(msPlain);
      }
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  console.log(
    `| ${kind} (3 seeds) | ${ours.length} | ${median(ours).toFixed(1)} ms | ${Math.max(...ours).toFixed(1)} ms | ${maxNodes} | ` +
      `${median(plain).toFixed(1)} ms, ${capped ? '≥ ' : ''}${Math.max(...plain).toFixed(0)} ms (seed 0) | ${capped ? '≥ ' : ''}${(median(plain) / median(ours)).toFixed(1)}× |`,
  );
}

/** A 30-task (or n-task) pairwise table: `clusters` groups with noise, or independent random values. */
function pairModel(n: number, seed: number, planted: boolean): { model: PairwiseModel; cluster: (i: number) => number } {
  const r = new Random(`bench-pairs:${n}:${seed}:${planted}`);
  const tasks = names(n);
  const size = 5;
  const cluster = (i: number) => Math.floor(i / size);
  const pair = tasks.map((_, i) => tasks.map((_, j) => (planted ? (cluster(i) === cluster(j) ? 0.85 : 1.15) + r.normal(0, 0.05) : 1 + r.normal(0, 0.15))));
  return {
    model: {
      tasks,
      pair,
      groupCost: 1,
      singles: [
        { size: 'full', cost: 1, values: tasks.map(() => 1) },
        { size: 'half', cost: 0.5, values: tasks.map(() => 1.1 + r.normal(0, 0.03)) },
      ],
    },
    cluster,
  };
}

function affinity(n: number, seed: number, planted: boolean) {
  const r = new Random(`bench-affinity:${n}:${seed}:${planted}`);
  const tasks = names(n);
  const cluster = (i: number) => Math.floor(i / 5);
  const values = tasks.map((_, i) => tasks.map((_, j) => (i === j ? 0 : planted ? (cluster(i) === cluster(j) ? 0.2 : -0.1) + r.normal(0, 0.05) : r.normal(0, 0.1))));
  return { table: { tasks, values }, cluster };
}

const recovered = (networks: { tasks: string[] }[], cluster: (i: number) => number, clusters: number) =>
  networks.length === clusters && networks.every((n) => n.tasks.length === 5 && n.tasks.every((t) => cluster(Number(t.slice(1))) === cluster(Number(n.tasks[0]!.slice(1)))));

console.log('\n## 2. TAG and HOA selection over 30 tasks (local search + Lagrangian bound)\n');
console.log('| method | table | budget | time | objective | proven gap | planted clusters found |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const planted of [true, false]) {
  for (const budget of [3, 6, 10]) {
    const { table, cluster } = affinity(30, 0, planted);
    const [tag, ms] = time(() => selectTag(table, budget));
    console.log(
      `| TAG | ${planted ? 'planted, 6 clusters of 5' : 'random'} | ${budget} | ${(ms / 1000).toFixed(2)} s | mean score ${tag.meanScore.toFixed(4)} | ${(tag.gap / 30).toPrecision(3)} in mean score | ${planted ? (budget === 6 ? (recovered(tag.networks, cluster, 6) ? 'yes' : 'no') : '—') : '—'} |`,
    );
  }
  for (const budget of [3, 6, 10]) {
    const { model, cluster } = pairModel(30, 0, planted);
    const [hoa, ms] = time(() => selectPairwise(model, budget));
    console.log(
      `| HOA | ${planted ? 'planted, 6 clusters of 5' : 'random'} | ${budget} | ${(ms / 1000).toFixed(2)} s | summed loss ${hoa.total.toFixed(4)} | ${hoa.gap.toPrecision(3)} (${((100 * hoa.gap) / Math.abs(hoa.total)).toFixed(2)}% of it) | ${planted ? (budget === 6 ? (recovered(hoa.networks, cluster, 6) ? 'yes' : 'no') : '—') : '—'} |`,
    );
  }
}

console.log('\nReference: the same local search on 10 tasks against the exact optimum (every subset written out)\n');
console.log('| table | budget | local search | exact | same optimum | gap reported |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const planted of [true, false]) {
  for (const budget of [2, 3, 5]) {
    const { model } = pairModel(10, 1, planted);
    const [local, msLocal] = time(() => selectPairwise(model, budget, { exactTasks: 0 }));
    const [exact, msExact] = time(() => branchAndBound(pairwiseTable(model), budget));
    console.log(
      `| ${planted ? 'planted' : 'random'} | ${budget} | ${msLocal.toFixed(0)} ms | ${msExact.toFixed(0)} ms | ${Math.abs(local.total - exact.total) < 1e-9 ? 'yes' : `no (+${(local.total - exact.total).toFixed(4)})`} | ${local.gap.toPrecision(3)} |`,
    );
  }
}
