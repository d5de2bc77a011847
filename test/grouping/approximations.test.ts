import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { pairCandidates, standleyCandidates } from '../../src/grouping/candidates.js';
import { earlyEpoch, selectEsa } from '../../src/grouping/earlySnapshot.js';
import { hoaModel, selectHoa } from '../../src/grouping/higherOrderApproximation.js';
import { normalizeTable, type LossTable, type ScoredCandidate } from '../../src/grouping/lossTable.js';
import { pairwiseTable, predictedValue } from '../../src/grouping/pairwiseModel.js';
import { randomGrouping } from '../../src/grouping/randomGrouping.js';
import { branchAndBound } from '../../src/grouping/branchAndBound.js';

const close = (a: number, b: number, message = '') => assert.ok(Math.abs(a - b) < 1e-9, `${message} ${a} vs ${b}`);
const ids = (s: { networks: { id: string }[] }) => s.networks.map((n) => n.id).sort();

/** Singles at 1 (full) and the given half values; pairs as given: [pair id, value of its first task, value of its second]. */
function handTable(half: number[], pairs: [string, number, number][]): LossTable {
  const tasks = ['a', 'b', 'c'];
  const candidates: ScoredCandidate[] = [
    ...tasks.map((t) => ({ id: t, tasks: [t], size: 'full' as const, cost: 1, values: { [t]: 1 } })),
    ...tasks.map((t, j) => ({ id: `${t}@half`, tasks: [t], size: 'half' as const, cost: 0.5, values: { [t]: half[j]! } })),
    ...pairs.map(([id, x, y]) => {
      const [p, q] = id.split('+') as [string, string];
      return { id, tasks: [p, q], size: 'full' as const, cost: 1, values: { [p]: x, [q]: y } };
    }),
  ];
  return { tasks, candidates };
}

test('HOA on a hand-made table: triple predicted from its pairs, and the selection at budgets 1, 1.5 and 2', () => {
  const table = handTable([1.2, 1.1, 1.05], [['a+b', 0.8, 0.9], ['a+c', 1.0, 1.2], ['b+c', 1.1, 0.7]]);
  const model = hoaModel(table);
  // Task a in a+b+c: mean of its losses in a+b (0.8) and a+c (1.0); b: (0.9 + 1.1)/2; c: (1.2 + 0.7)/2.
  close(predictedValue(model, [0, 1, 2], 0), 0.9);
  close(predictedValue(model, [0, 1, 2], 1), 1.0);
  close(predictedValue(model, [0, 1, 2], 2), 0.95);
  // A pair's prediction is the pair network itself.
  close(predictedValue(model, [1, 2], 2), 0.7);
  // Budget 1: only the triple serves all three: 0.9 + 1.0 + 0.95.
  const one = selectHoa(table, 1);
  assert.deepEqual(ids(one), ['a+b+c']);
  close(one.total, 2.85);
  // Budget 1.5: a+b with c at half size: 0.8 + 0.9 + 1.05.
  const oneAndHalf = selectHoa(table, 1.5);
  assert.deepEqual(ids(oneAndHalf), ['a+b', 'c@half']);
  close(oneAndHalf.total, 2.75);
  // Budget 2: a+b and b+c; b is served by a+b (0.9 < 1.1): 0.8 + 0.9 + 0.7.
  const two = selectHoa(table, 2);
  assert.deepEqual(ids(two), ['a+b', 'b+c']);
  close(two.total, 2.4);
  assert.equal(two.assignment.b!.network, 'a+b');
  assert.equal(two.optimal, true);
});

test('HOA needs every pair and every single-task network', () => {
  const table = handTable([1.2, 1.1, 1.05], [['a+b', 0.8, 0.9], ['a+c', 1.0, 1.2]]);
  assert.throws(() => hoaModel(table), (e: unknown) => e instanceof MtlError && e.code === 'grouping.missing_pair' && /b\+c/.test(e.expected));
  const noSingle = { tasks: table.tasks, candidates: table.candidates.filter((c) => c.id !== 'b') };
  assert.throws(() => hoaModel(noSingle), (e: unknown) => e instanceof MtlError && (e.code === 'grouping.no_reference' || e.code === 'grouping.missing_pair'));
});

test('pairCandidates are the singles (full and half) and the pairs; the pairwise table predicts every subset', () => {
  const c = pairCandidates(['a', 'b', 'c', 'd']);
  assert.deepEqual(c.map((x) => x.id), ['a', 'b', 'c', 'd', 'a@half', 'b@half', 'c@half', 'd@half', 'a+b', 'a+c', 'a+d', 'b+c', 'b+d', 'c+d']);
  const table = handTable([1.2, 1.1, 1.05], [['a+b', 0.8, 0.9], ['a+c', 1.0, 1.2], ['b+c', 1.1, 0.7]]);
  const full = pairwiseTable(hoaModel(table));
  assert.deepEqual(full.candidates.map((x) => x.id), ['a', 'b', 'c', 'a@half', 'b@half', 'c@half', 'a+b', 'a+c', 'b+c', 'a+b+c']);
  assert.deepEqual(full.candidates.at(-1)!.values, { a: 0.9, b: 1, c: 0.95 });
});

test('ESA: the epoch is 20% of training (at least 1), and the selection follows the early losses, not the final ones', () => {
  assert.equal(earlyEpoch(10), 2);
  assert.equal(earlyEpoch(100), 20);
  assert.equal(earlyEpoch(7), 1);
  assert.equal(earlyEpoch(3), 1);
  assert.equal(earlyEpoch(1), 1);
  assert.equal(earlyEpoch(10, 0.5), 5);
  assert.throws(() => earlyEpoch(10, 0), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_option');
  // Final losses favour a+b with c at half size; early in training b+c looked best.
  const final = handTable([1.2, 1.1, 1.05], [['a+b', 0.8, 0.9], ['a+c', 1.0, 1.2], ['b+c', 1.1, 0.7]]);
  const early = handTable([1.1, 1.3, 1.2], [['a+b', 1.0, 1.0], ['a+c', 1.0, 1.1], ['b+c', 0.8, 0.85]]);
  assert.deepEqual(ids(branchAndBound(final, 1.5)), ['a+b', 'c@half']);
  // Early: b+c with a at half size: 1.1 + 0.8 + 0.85 = 2.75, against a+b + c@half = 1 + 1 + 1.2 = 3.2.
  const esa = selectEsa(early, 1.5);
  assert.deepEqual(ids(esa), ['a@half', 'b+c']);
  close(esa.total, 2.75);
});

test('normalisation: each task divided by its single-task network; accuracies become relative errors', () => {
  const measured: ScoredCandidate[] = [
    { id: 'a', tasks: ['a'], size: 'full', cost: 1, values: { a: 0.9 } },
    { id: 'b', tasks: ['b'], size: 'full', cost: 1, values: { b: 0.8 } },
    { id: 'a@half', tasks: ['a'], size: 'half', cost: 0.5, values: { a: 0.85 } },
    { id: 'a+b', tasks: ['a', 'b'], size: 'full', cost: 1, values: { a: 0.92, b: 0.7 } },
  ];
  const t = normalizeTable(['a', 'b'], measured, { direction: 'higher' });
  // Errors: a alone 0.1, a@half 0.15, a in a+b 0.08; b alone 0.2, b in a+b 0.3.
  close(t.candidates[2]!.values.a!, 1.5);
  close(t.candidates[3]!.values.a!, 0.8);
  close(t.candidates[3]!.values.b!, 1.5);
  const losses = normalizeTable(['a', 'b'], measured.map((c) => ({ ...c, values: Object.fromEntries(Object.entries(c.values).map(([k, v]) => [k, 2 * v])) })));
  close(losses.candidates[3]!.values.a!, 0.92 / 0.9);
  // A perfect single-task network (zero error) shifts instead of dividing.
  const perfect = normalizeTable(['a', 'b'], [{ ...measured[0]!, values: { a: 1 } }, measured[1]!, measured[3]!], { direction: 'higher' });
  close(perfect.candidates[2]!.values.a!, 0.08 + 1);
  // Per-task directions.
  const mixed = normalizeTable(['a', 'b'], measured, { direction: { a: 'higher', b: 'lower' } });
  close(mixed.candidates[3]!.values.b!, 0.7 / 0.8);
});

test('candidates: all 2^T − 1 subsets plus T half-size networks; bad subsets and options are coded errors', () => {
  const tasks = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const all = standleyCandidates(tasks);
  assert.equal(all.length, 255 + 8);
  assert.equal(all.filter((c) => c.size === 'half').length, 8);
  assert.ok(all.every((c) => c.cost === (c.size === 'half' ? 0.5 : 1)));
  assert.equal(standleyCandidates(tasks, { halfCost: false }).length, 255);
  assert.equal(standleyCandidates(tasks, { maxGroupSize: 2 }).length, 8 + 8 + 28);
  const listed = standleyCandidates(tasks, { subsets: [['c', 'a'], ['b', 'h', 'g']] });
  assert.deepEqual(listed.slice(16).map((c) => c.id), ['a+c', 'b+g+h']);
  assert.throws(() => standleyCandidates(tasks, { subsets: [['a', 'z']] }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.unknown_task' && e.path === 'subsets[0]');
  assert.throws(() => standleyCandidates(tasks, { subsets: [['a', 'bb']] }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.unknown_task' && /did you mean "b"/.test(e.fix ?? ''));
  assert.throws(() => standleyCandidates(tasks, { subsets: [['a', 'a']] }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_subset');
  assert.throws(() => standleyCandidates(['a']), (e: unknown) => e instanceof MtlError && e.code === 'grouping.too_few_tasks');
  assert.throws(() => standleyCandidates(['a', 'a']), (e: unknown) => e instanceof MtlError && e.code === 'grouping.duplicate_task');
  assert.throws(() => standleyCandidates(tasks, { halfCost: -1 }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_option');
  const many = Array.from({ length: 24 }, (_, i) => `t${i}`);
  assert.throws(() => standleyCandidates(many), (e: unknown) => e instanceof MtlError && e.code === 'grouping.too_many_candidates');
});

test('random grouping: as many networks as the budget holds, every task once, reproducible from the seed', () => {
  const tasks = ['a', 'b', 'c', 'd', 'e', 'f'];
  const seen = new Set<string>();
  for (let seed = 0; seed < 30; seed++) {
    for (const budget of [1, 2, 2.5, 3, 6, 10]) {
      const g = randomGrouping(tasks, budget, { seed });
      assert.equal(g.length, Math.min(6, Math.floor(budget)));
      assert.deepEqual(g.flatMap((c) => c.tasks).sort(), tasks);
      assert.ok(g.reduce((s, c) => s + c.cost, 0) <= budget);
      assert.deepEqual(randomGrouping(tasks, budget, { seed }), g);
      if (budget === 2) seen.add(g.map((c) => c.id).sort().join(' '));
    }
  }
  assert.ok(seen.size > 10, `${seen.size} different splits in two over 30 seeds`);
  assert.deepEqual(randomGrouping(tasks, 3, { seed: 0, halfCost: 0.5 }).length, 3);
  assert.deepEqual(randomGrouping(['a', 'b'], 1, { seed: 0 }).map((c) => c.id), ['a+b']);
  assert.throws(() => randomGrouping(tasks, 0.5), (e: unknown) => e instanceof MtlError && e.code === 'grouping.budget_too_small');
});
