import assert from 'node:assert/strict';
import { test } from 'node:test';
import { branchAndBound } from '../../src/grouping/branchAndBound.js';
import { bruteForceSelection } from '../../src/grouping/bruteForce.js';
import type { LossTable } from '../../src/grouping/lossTable.js';
import { cheapestCover, evaluateSelection, type Selection } from '../../src/grouping/selection.js';
import { MtlError } from '../../src/errors.js';
import { randomTable, setsUpTo } from './helpers.js';

const close = (a: number, b: number, message: string) => assert.ok(Math.abs(a - b) < 1e-9, `${message}: ${a} vs ${b}`);

/** A selection is what it says: within budget, every task served, its total recomputed from the table. */
function assertConsistent(table: LossTable, s: Selection, budget: number, message: string) {
  assert.ok(s.cost <= budget + 1e-9, `${message}: cost ${s.cost} over budget ${budget}`);
  const again = evaluateSelection(table, s.networks.map((n) => n.id));
  close(again.total, s.total, `${message}: total`);
  for (const t of table.tasks) assert.ok(s.assignment[t], `${message}: task ${t} served`);
}

test('branch and bound equals brute force on random tables (2–8 tasks, budgets across the range, uniform and structured values)', () => {
  let instances = 0;
  for (let n = 2; n <= 8; n++) {
    for (let seed = 0; seed < 5; seed++) {
      for (const kind of ['uniform', 'structured'] as const) {
        const budgets = [...new Set([0.5 * Math.ceil(n / 2), 1, 1.5, n / 4, n / 2, (3 * n) / 4, n].map((b) => Math.max(0.5, Math.round(b * 2) / 2)))];
        for (const budget of budgets) {
          // As many candidates as brute force can enumerate quickly (every candidate for small T).
          const picks = Math.min(n, Math.floor(budget * 2));
          let keep = 2 * n;
          while (keep < 2 ** n - 1 + n && setsUpTo(keep + 1, picks) <= 20_000) keep++;
          const table = randomTable(n, seed, kind, keep);
          if (budget < cheapestCover(table) - 1e-9) continue;
          const exact = branchAndBound(table, budget);
          const brute = bruteForceSelection(table, budget);
          const message = `T=${n} seed ${seed} ${kind} budget ${budget} (${table.candidates.length} candidates)`;
          close(exact.total, brute.total, message);
          assert.equal(exact.optimal, true, message);
          assert.equal(exact.gap, 0, message);
          assertConsistent(table, exact, budget, message);
          instances++;
        }
      }
    }
  }
  assert.ok(instances > 120, `${instances} instances compared`);
});

test('branch and bound over all 263 candidates of 8 tasks: brute force at budget 1, each task at its best network at budget 8, and monotone in the budget', () => {
  for (const kind of ['uniform', 'structured'] as const) {
    for (let seed = 0; seed < 2; seed++) {
      const table = randomTable(8, seed, kind);
      assert.equal(table.candidates.length, 263);
      close(branchAndBound(table, 1).total, bruteForceSelection(table, 1).total, `${kind} seed ${seed} budget 1`);
      const unconstrained = table.tasks.reduce((s, t) => s + Math.min(...table.candidates.filter((c) => c.tasks.includes(t)).map((c) => c.values[t]!)), 0);
      close(branchAndBound(table, 8).total, unconstrained, `${kind} seed ${seed} budget 8`);
      let previous = Infinity;
      for (let budget = 1; budget <= 8; budget += 0.5) {
        const s = branchAndBound(table, budget);
        assertConsistent(table, s, budget, `${kind} seed ${seed} budget ${budget}`);
        assert.ok(s.total <= previous + 1e-12, `more budget never hurts (${budget})`);
        previous = s.total;
      }
    }
  }
});

test('8 tasks, all 263 candidates, every budget: the search stays within a generous node bound (load-independent; times are in npm run bench -- grouping)', () => {
  let most = 0;
  for (const kind of ['uniform', 'structured'] as const) {
    for (let seed = 0; seed < 2; seed++) {
      const table = randomTable(8, seed + 10, kind);
      for (let budget = 1; budget <= 8; budget += 0.5) most = Math.max(most, branchAndBound(table, budget).evaluations);
    }
  }
  // Measured at most about 7,000 nodes (under a tenth of a second); Standley's pruning alone takes millions at mid budgets.
  assert.ok(most < 50_000, `${most} nodes`);
});

test('the exact bound is what makes 8 tasks fast: without it the same optimum, from more nodes', () => {
  const table = randomTable(8, 1, 'uniform');
  const fast = branchAndBound(table, 3);
  const plain = branchAndBound(table, 3, { exactBoundTasks: 0 });
  close(fast.total, plain.total, 'same optimum');
  assert.ok(fast.evaluations * 5 < plain.evaluations, `${fast.evaluations} nodes with the bound, ${plain.evaluations} without`);
});

test('a hand-made table: the budget decides between one shared network and separate ones', () => {
  const table: LossTable = {
    tasks: ['a', 'b', 'c'],
    candidates: [
      { id: 'a', tasks: ['a'], size: 'full', cost: 1, values: { a: 1 } },
      { id: 'b', tasks: ['b'], size: 'full', cost: 1, values: { b: 1 } },
      { id: 'c', tasks: ['c'], size: 'full', cost: 1, values: { c: 1 } },
      { id: 'a@half', tasks: ['a'], size: 'half', cost: 0.5, values: { a: 1.2 } },
      { id: 'b@half', tasks: ['b'], size: 'half', cost: 0.5, values: { b: 1.1 } },
      { id: 'c@half', tasks: ['c'], size: 'half', cost: 0.5, values: { c: 1.05 } },
      { id: 'a+b', tasks: ['a', 'b'], size: 'full', cost: 1, values: { a: 0.8, b: 0.9 } },
      { id: 'a+c', tasks: ['a', 'c'], size: 'full', cost: 1, values: { a: 0.95, c: 1.3 } },
      { id: 'b+c', tasks: ['b', 'c'], size: 'full', cost: 1, values: { b: 1.0, c: 1.2 } },
      { id: 'a+b+c', tasks: ['a', 'b', 'c'], size: 'full', cost: 1, values: { a: 0.9, b: 0.95, c: 1.25 } },
    ],
  };
  // Budget 1: only the three-task network serves all three: 0.9 + 0.95 + 1.25.
  const one = branchAndBound(table, 1);
  assert.deepEqual(one.networks.map((n) => n.id), ['a+b+c']);
  close(one.total, 3.1, 'budget 1');
  // Budget 1.5: a+b with c at half size: 0.8 + 0.9 + 1.05 = 2.75.
  const oneAndHalf = branchAndBound(table, 1.5);
  assert.deepEqual(oneAndHalf.networks.map((n) => n.id).sort(), ['a+b', 'c@half']);
  close(oneAndHalf.total, 2.75, 'budget 1.5');
  assert.deepEqual(oneAndHalf.networks.find((n) => n.id === 'a+b')!.serves, ['a', 'b']);
  // Budget 2: a+b and c alone: 0.8 + 0.9 + 1 = 2.7.
  const two = branchAndBound(table, 2);
  assert.deepEqual(two.networks.map((n) => n.id).sort(), ['a+b', 'c']);
  close(two.total, 2.7, 'budget 2');
  assert.deepEqual(two.assignment, { a: { network: 'a+b', value: 0.8 }, b: { network: 'a+b', value: 0.9 }, c: { network: 'c', value: 1 } });
});

test('bad input: a budget below the cheapest cover, one task, an unknown task, a missing value', () => {
  const table = randomTable(3, 0, 'uniform');
  const noFullGroups: LossTable = { tasks: table.tasks, candidates: table.candidates.filter((c) => c.tasks.length === 1) };
  assert.equal(cheapestCover(noFullGroups), 1.5);
  assert.throws(() => branchAndBound(noFullGroups, 1), (e: unknown) => e instanceof MtlError && e.code === 'grouping.budget_too_small' && /1\.5/.test(e.expected));
  assert.throws(() => branchAndBound(table, 0), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_budget');
  assert.throws(() => branchAndBound(table, Number.NaN), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_budget');
  assert.throws(
    () => branchAndBound({ tasks: ['a'], candidates: [{ id: 'a', tasks: ['a'], size: 'full', cost: 1, values: { a: 1 } }] }, 1),
    (e: unknown) => e instanceof MtlError && e.code === 'grouping.too_few_tasks',
  );
  assert.throws(
    () => branchAndBound({ tasks: ['t0', 't1'], candidates: [{ id: 'x', tasks: ['t0', 't9'], size: 'full', cost: 1, values: { t0: 1, t9: 1 } }] }, 1),
    (e: unknown) => e instanceof MtlError && e.code === 'grouping.unknown_task' && e.found === '"t9"',
  );
  assert.throws(
    () => branchAndBound({ tasks: ['t0', 't1'], candidates: [{ id: 'x', tasks: ['t0', 't1'], size: 'full', cost: 1, values: { t0: 1, t1: Number.NaN } }] }, 1),
    (e: unknown) => e instanceof MtlError && e.code === 'grouping.missing_value' && e.path.includes('t1'),
  );
});
