import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { validateExperiment } from '../../src/experiment/config.js';
import type { RunSummary } from '../../src/experiment/runExperiment.js';
import { resolveGrid, gridConfigurations } from '../../src/sweep/sweepGrid.js';
import { planSweep } from '../../src/sweep/sweepPlan.js';
import { formatSweepTable, sweepTable } from '../../src/sweep/sweepTable.js';
import { splitAlternatives } from '../../src/sweep/setFlag.js';
import type { TrialResult } from '../../src/trials/trialResult.js';

const base = validateExperiment({
  name: 'toy',
  data: { source: 'csv', path: 'examples/data/patients.csv', features: ['age', 'bmi'] },
  tasks: [
    { name: 'readmitted', kind: 'binary', columns: ['readmitted'], metrics: ['accuracy'] },
    { name: 'stay', kind: 'regression', columns: ['length_of_stay'], metrics: ['mse'] },
  ],
  model: { encoder: { type: 'mlp', hidden: [4] } },
  training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.01 } },
  sweep: { set: { 'weighting.method': ['equal', 'pcgrad'] }, seeds: [0, 1] },
});

function done(id: string, metrics: Record<string, Record<string, number>>, parameters = 100): TrialResult {
  const summary: RunSummary = {
    name: 'toy',
    multiTask: {
      evaluation: Object.fromEntries(Object.entries(metrics).map(([t, m]) => [t, { loss: 0, metrics: m, examples: 10 }])),
      epochs: 1,
      steps: 10,
      seconds: 2,
      parameters,
    },
  };
  return { id, overrides: {}, status: 'done', summary, seconds: 2, msPerStep: 4 };
}

test('the grid: every combination of the alternatives, seeds from the flags over the sweep block; seed is not a grid field', () => {
  const grid = resolveGrid(base, { set: { 'model.architecture': ['hard-sharing', 'mmoe'] } });
  assert.deepEqual(grid.seeds, [0, 1]);
  assert.deepEqual(gridConfigurations(grid), [
    { 'weighting.method': 'equal', 'model.architecture': 'hard-sharing' },
    { 'weighting.method': 'equal', 'model.architecture': 'mmoe' },
    { 'weighting.method': 'pcgrad', 'model.architecture': 'hard-sharing' },
    { 'weighting.method': 'pcgrad', 'model.architecture': 'mmoe' },
  ]);
  assert.deepEqual(resolveGrid(base, { seeds: [4] }).seeds, [4]);
  assert.throws(() => resolveGrid(base, { set: { seed: [1, 2] } }), (e: unknown) => e instanceof MtlError && e.code === 'sweep.seed_in_set' && /--seeds 1,2/.test(e.fix ?? ''));
  assert.throws(() => resolveGrid(base, { seeds: [1, 1] }), (e: unknown) => e instanceof MtlError && e.code === 'sweep.bad_seeds');
  // The sweep block is the same as the flags.
  const { sweep: _block, ...plain } = base;
  const fromFlags = planSweep(base, resolveGrid(validateExperiment(plain), { set: { 'weighting.method': ['equal', 'pcgrad'] }, seeds: [0, 1] }));
  const fromBlock = planSweep(base, resolveGrid(base));
  assert.deepEqual(fromFlags.trials, fromBlock.trials);
  assert.deepEqual(splitAlternatives('[64,64],[128], {"a":1,"b":2},"x,y"'), ['[64,64]', '[128]', '{"a":1,"b":2}', '"x,y"']);
});

test('the plan: baselines once per task and seed, shared by every configuration, listed before the seed\'s configurations', () => {
  const plan = planSweep(base, resolveGrid(base));
  assert.deepEqual(plan.trials.map((t) => t.id), [
    'single-task/readmitted__seed-0',
    'single-task/stay__seed-0',
    'method-equal__seed-0',
    'method-pcgrad__seed-0',
    'single-task/readmitted__seed-1',
    'single-task/stay__seed-1',
    'method-equal__seed-1',
    'method-pcgrad__seed-1',
  ]);
  assert.equal(plan.baselineOf.get('method-pcgrad__seed-1')!.get('stay')!.id, 'single-task/stay__seed-1');
  // A grid over the training budget needs baselines per budget.
  const budgets = planSweep(base, resolveGrid(base, { set: { 'training.epochs': [1, 3] }, seeds: [0] }));
  assert.deepEqual(budgets.baselines.map((t) => t.id), ['single-task/readmitted__epochs-1__seed-0', 'single-task/stay__epochs-1__seed-0', 'single-task/readmitted__epochs-3__seed-0', 'single-task/stay__epochs-3__seed-0']);
});

test('the table: metrics and Δm as mean ± std over seeds against the same seed\'s baselines, ranked, failures noted', () => {
  const plan = planSweep(base, resolveGrid(base));
  const diverged: TrialResult = {
    id: 'method-pcgrad__seed-1',
    overrides: {},
    status: 'failed',
    seconds: 1,
    error: { code: 'training.diverged', path: 'epoch 1, step 3, task "stay"', expected: 'a finite loss', found: 'NaN', fix: 'lower the learning rate', message: '' },
  };
  const results = [
    done('single-task/readmitted__seed-0', { readmitted: { accuracy: 0.8 } }, 30),
    done('single-task/stay__seed-0', { stay: { mse: 2.0 } }, 40),
    done('single-task/readmitted__seed-1', { readmitted: { accuracy: 0.6 } }, 30),
    done('single-task/stay__seed-1', { stay: { mse: 4.0 } }, 40),
    // Δm seed 0: mean(−(0.88 − 0.8)/0.8, (2.2 − 2)/2) = mean(−0.1, 0.1) = 0; seed 1: mean(−0.06/0.6, −1/4) = −17.5%.
    done('method-equal__seed-0', { readmitted: { accuracy: 0.88 }, stay: { mse: 2.2 } }),
    done('method-equal__seed-1', { readmitted: { accuracy: 0.66 }, stay: { mse: 3.0 } }),
    // Δm seed 0: mean(+0.1, 0) = +5%; seed 1 diverged.
    done('method-pcgrad__seed-0', { readmitted: { accuracy: 0.72 }, stay: { mse: 2.0 } }),
    diverged,
  ];
  const table = sweepTable(plan, results);
  assert.deepEqual(table.columns, [
    { task: 'readmitted', metric: 'accuracy', direction: 'higher' },
    { task: 'stay', metric: 'mse', direction: 'lower' },
  ]);
  const [first, second] = table.rows;
  assert.equal(first!.label, 'method=equal');
  assert.equal(first!.rank, 1);
  assert.deepEqual(first!.deltaM!.values.map((v) => +v.toFixed(10)), [0, -17.5]);
  assert.ok(Math.abs(first!.deltaM!.mean - -8.75) < 1e-9);
  assert.ok(Math.abs(first!.deltaM!.std - 8.75 * Math.SQRT2) < 1e-9, 'sample standard deviation');
  assert.ok(Math.abs(first!.metrics.readmitted!.accuracy!.mean - 0.77) < 1e-12);
  assert.ok(Math.abs(first!.metrics.readmitted!.accuracy!.std - 0.11 * Math.SQRT2) < 1e-12);
  assert.equal(second!.label, 'method=pcgrad');
  assert.equal(second!.rank, 2);
  assert.deepEqual(second!.seeds, [0]);
  assert.ok(Math.abs(second!.deltaM!.mean - 5) < 1e-9);
  assert.equal(second!.failed.length, 1);
  assert.equal(second!.failed[0]!.error.code, 'training.diverged');
  assert.equal(table.singleTask.length, 1);
  assert.deepEqual(table.singleTask[0]!.parameters, [70, 70], 'the networks of one seed add up');
  assert.ok(Math.abs(table.singleTask[0]!.metrics.stay!.mse!.mean - 3) < 1e-12);

  const md = formatSweepTable(table);
  const lines = md.split('\n');
  assert.ok(lines.includes('| rank | configuration | readmitted accuracy | stay mse | Δm | seeds |'), md);
  assert.ok(lines.includes('| — | single-task | 0.7000 ± 0.1414 | 3.0000 ± 1.4142 | 0 | 2 of 2 |'), md);
  assert.ok(lines.includes('| 1 | method=equal | 0.7700 ± 0.1556 | 2.6000 ± 0.5657 | -8.75 ± 12.37 | 2 of 2 |'), md);
  assert.ok(lines.includes('| 2 | method=pcgrad | 0.7200 | 2.0000 | +5.00 | 1 of 2 (1) |'), md);
  assert.ok(lines.includes('(1) [training.diverged] epoch 1, step 3, task "stay": expected a finite loss, found NaN. Fix: lower the learning rate'), md);

  // Without seed 1's baseline of "stay", seed 1 has no Δm: equal's Δm is seed 0's alone.
  const partial = sweepTable(plan, results.filter((r) => r.id !== 'single-task/stay__seed-1'));
  assert.deepEqual(partial.rows.find((r) => r.label === 'method=equal')!.deltaM!.values.map((v) => +v.toFixed(10)), [0]);
});
