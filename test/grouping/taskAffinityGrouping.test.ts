import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { pairwiseTable, type PairwiseModel } from '../../src/grouping/pairwiseModel.js';
import { selectPairwise } from '../../src/grouping/pairwiseSearch.js';
import { branchAndBound } from '../../src/grouping/branchAndBound.js';
import { selectTag, tagGroupScore, type AffinityTable } from '../../src/grouping/taskAffinityGrouping.js';
import { Random } from '../../src/random/random.js';

const close = (a: number, b: number, message = '') => assert.ok(Math.abs(a - b) < 1e-9, `${message} ${a} vs ${b}`);
const ids = (s: { networks: { id: string }[] }) => s.networks.map((n) => n.id).sort();

// Z[i][j] = Z_{i→j}: a and b help each other, c and d help each other, across hurts.
const four: AffinityTable = {
  tasks: ['a', 'b', 'c', 'd'],
  values: [
    [0, 0.3, -0.1, -0.2],
    [0.2, 0, -0.1, -0.1],
    [-0.1, -0.2, 0, 0.2],
    [-0.1, -0.1, 0.1, 0],
  ],
};
// A fifth task e that every other task hurts (−0.3 onto e) and that slightly hurts the others (−0.05).
const five: AffinityTable = {
  tasks: ['a', 'b', 'c', 'd', 'e'],
  values: [
    [0, 0.3, -0.1, -0.2, -0.3],
    [0.2, 0, -0.1, -0.1, -0.3],
    [-0.1, -0.2, 0, 0.2, -0.3],
    [-0.1, -0.1, 0.1, 0, -0.3],
    [-0.05, -0.05, -0.05, -0.05, 0],
  ],
};

test('TAG group score: the mean over the other members of their affinity onto the task', () => {
  close(tagGroupScore(four, ['a', 'b'], 'a'), 0.2);
  close(tagGroupScore(four, ['a', 'b'], 'b'), 0.3);
  close(tagGroupScore(four, ['a', 'b', 'c', 'd'], 'c'), (-0.1 - 0.1 + 0.1) / 3);
});

test('TAG selection on a hand-made affinity matrix', () => {
  // Budget 2: {a,b} and {c,d}: scores 0.2, 0.3, 0.1, 0.2 → mean 0.2 (each task at its best possible partner).
  const two = selectTag(four, 2);
  assert.deepEqual(ids(two), ['a+b', 'c+d']);
  close(two.meanScore, 0.2);
  assert.deepEqual(two.scores, { a: 0.2, b: 0.3, c: 0.1, d: 0.2 });
  // Budget 1: everything in one network: a 0, b 0, c −1/30, d −1/30.
  const one = selectTag(four, 1);
  assert.deepEqual(ids(one), ['a+b+c+d']);
  close(one.meanScore, -1 / 60);
  // Five tasks, budget 2, lone tasks as a last resort: e must join a group; {a,b} + {c,d,e}:
  // a .2, b .3, c (.1 − .05)/2, d (.2 − .05)/2, e −.3 → mean 0.06 (e in {a,b,e} would give 0.04).
  const lastResort = selectTag(five, 2);
  assert.deepEqual(ids(lastResort), ['a+b', 'c+d+e']);
  close(lastResort.meanScore, 0.06);
  assert.deepEqual(lastResort.loneTasks, []);
  // Budget 3 with a lone task scoring 0: e alone (0 beats −0.3): mean (.2 + .3 + .1 + .2 + 0)/5.
  const alone = selectTag(five, 3, { singletonScore: 0 });
  assert.deepEqual(ids(alone), ['a+b', 'c+d', 'e']);
  close(alone.meanScore, 0.16);
  assert.deepEqual(alone.loneTasks, ['e']);
  assert.equal(alone.scores.e, 0);
  // Budget 3, last resort: no lone task; e's best is −0.3 anywhere, the others at their best: mean 0.1.
  const three = selectTag(five, 3);
  assert.deepEqual(three.loneTasks, []);
  close(three.meanScore, 0.1);
  assert.equal(three.optimal, true);
});

test('TAG bad input: a non-square matrix, a non-finite affinity, one task, a bad singleton score', () => {
  assert.throws(() => selectTag({ tasks: ['a', 'b'], values: [[0, 1]] }, 1), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_matrix');
  assert.throws(() => selectTag({ tasks: ['a', 'b'], values: [[0, Number.NaN], [0, 0]] }, 1), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_matrix' && /a → b/.test(e.path));
  assert.throws(() => selectTag({ tasks: ['a'], values: [[0]] }, 1), (e: unknown) => e instanceof MtlError && e.code === 'grouping.too_few_tasks');
  assert.throws(() => selectTag(four, 2, { singletonScore: Number.POSITIVE_INFINITY }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_option');
  assert.throws(() => selectTag(four, 0.5), (e: unknown) => e instanceof MtlError && e.code === 'grouping.budget_too_small');
});

/** A random pairwise model: values around 1 with noise, singles at 1 (full) and about 1.1 (half). */
function randomModel(n: number, seed: number): PairwiseModel {
  const r = new Random(`model:${n}:${seed}`);
  const tasks = Array.from({ length: n }, (_, i) => `t${i}`);
  return {
    tasks,
    pair: tasks.map(() => tasks.map(() => 1 + r.normal(0, 0.2))),
    groupCost: 1,
    singles: [
      { size: 'full', cost: 1, values: tasks.map(() => 1) },
      { size: 'half', cost: 0.5, values: tasks.map(() => 1.1 + r.normal(0, 0.05)) },
    ],
  };
}

test('the local search and its bound against the exact optimum (6–9 tasks): bound ≤ optimum ≤ local search, and equal here', () => {
  for (let n = 6; n <= 9; n++) {
    for (let seed = 0; seed < 2; seed++) {
      const model = randomModel(n, seed);
      for (const budget of [1, 2, 3, n / 2]) {
        const exact = branchAndBound(pairwiseTable(model), budget);
        const local = selectPairwise(model, budget, { exactTasks: 0 });
        const message = `T=${n} seed ${seed} budget ${budget}`;
        assert.equal(local.solver, 'local-search');
        assert.ok(local.bound <= exact.total + 1e-9, `${message}: bound ${local.bound} above the optimum ${exact.total}`);
        close(local.total, exact.total, message);
        close(local.gap, local.total - local.bound, message);
        assert.ok(local.cost <= budget + 1e-9);
      }
    }
  }
});

test('30 tasks in five planted clusters: the local search recovers them and proves it (gap within 1e-6 of the total)', () => {
  const r = new Random('planted-30');
  const cluster = (i: number) => Math.floor(i / 6);
  const tasks = Array.from({ length: 30 }, (_, i) => `t${i}`);
  const values = tasks.map((_, i) => tasks.map((_, j) => (i === j ? 0 : cluster(i) === cluster(j) ? 0.2 + r.normal(0, 0.02) : -0.1 + r.normal(0, 0.02))));
  const s = selectTag({ tasks, values }, 5);
  const groups = s.networks.map((n) => n.tasks.map((t) => cluster(Number(t.slice(1)))));
  assert.equal(s.networks.length, 5);
  for (const g of groups) assert.ok(g.every((c) => c === g[0]), `a planted cluster per network: ${JSON.stringify(groups)}`);
  assert.equal(s.solver, 'local-search');
  assert.ok(s.gap < 1e-6 * Math.abs(s.total), `gap ${s.gap} of ${s.total}`);
  assert.equal(s.optimal, true);
});
