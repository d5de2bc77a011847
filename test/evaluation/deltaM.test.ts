import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  comparisonsFromEvaluations,
  deltaM,
  deltaMByTask,
  deltaMOverMetrics,
  DELTA_M_FORMULA,
  relativeChange,
  type MetricComparison,
} from '../../src/evaluation/deltaM.js';
import { MtlError } from '../../src/errors.js';
import { formatSummary, type RunSummary } from '../../src/experiment/runExperiment.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

// Three tasks with one, two and three metrics, mixing higher- and lower-is-better.
const CASE: MetricComparison[] = [
  // a: accuracy 0.90 vs 0.80 → −(0.90 − 0.80)/0.80 = −12.5%
  { task: 'a', metric: 'accuracy', direction: 'higher', multiTask: 0.9, singleTask: 0.8 },
  // b: mse 1.1 vs 1.0 → +10%; mae 0.5 vs 0.4 → +25%; task mean +17.5%
  { task: 'b', metric: 'mse', direction: 'lower', multiTask: 1.1, singleTask: 1.0 },
  { task: 'b', metric: 'mae', direction: 'lower', multiTask: 0.5, singleTask: 0.4 },
  // c: auc 0.75 vs 0.80 → +6.25%; accuracy 0.70 vs 0.70 → 0; f1 0.66 vs 0.60 → −10%; task mean −1.25%
  { task: 'c', metric: 'auc', direction: 'higher', multiTask: 0.75, singleTask: 0.8 },
  { task: 'c', metric: 'accuracy', direction: 'higher', multiTask: 0.7, singleTask: 0.7 },
  { task: 'c', metric: 'f1', direction: 'higher', multiTask: 0.66, singleTask: 0.6 },
];

test('Δm averages within each task first, then over tasks (hand-computed)', () => {
  const { deltaM: d, perTask } = deltaMByTask(CASE);
  assert.deepEqual(perTask.map((t) => [t.task, t.metrics]), [['a', ['accuracy']], ['b', ['mse', 'mae']], ['c', ['auc', 'accuracy', 'f1']]]);
  close(perTask[0]!.change, -12.5, 'a');
  close(perTask[1]!.change, 17.5, 'b');
  close(perTask[2]!.change, -1.25, 'c');
  close(d, (-12.5 + 17.5 - 1.25) / 3, 'Δm'); // +1.25%
  close(deltaM(CASE), 1.25, 'deltaM');
});

test('the over-all-metrics form (Maninis et al., Nash-MTL) weights tasks by their metric count; LibMTL is per task with the opposite sign', () => {
  // (−12.5 + 10 + 25 + 6.25 + 0 − 10) / 6 = 18.75 / 6 = 3.125
  close(deltaMOverMetrics(CASE), 3.125, 'over all metrics');
  // LibMTL's count_improvement: per task, the mean of (−1)^{w}(B − N)/B with w = 1 for higher-is-better (a fraction, positive = better).
  const libmtl =
    [['a'], ['b'], ['c']]
      .map(([t]) => CASE.filter((c) => c.task === t))
      .map((cs) => cs.reduce((s, c) => s + ((c.direction === 'higher' ? -1 : 1) * (c.singleTask - c.multiTask)) / c.singleTask, 0) / cs.length)
      .reduce((a, b) => a + b, 0) / 3;
  close(deltaM(CASE), -100 * libmtl, 'Δm = −100 · LibMTL Δp');
  // With one metric per task the two forms coincide (MultiMNIST accuracy-only tables).
  const one = CASE.filter((c) => c.metric === 'accuracy');
  close(deltaM(one), deltaMOverMetrics(one), 'one metric per task');
});

test('relative changes: direction signs, a negative baseline, and a zero baseline refused', () => {
  close(relativeChange({ task: 't', metric: 'mse', direction: 'lower', multiTask: 2, singleTask: 4 }), -50, 'lower is better, halved');
  close(relativeChange({ task: 't', metric: 'x', direction: 'higher', multiTask: -1, singleTask: -2 }), -50, 'divided by |B|');
  assert.throws(
    () => deltaM([{ task: 't', metric: 'mse', direction: 'lower', multiTask: 1, singleTask: 0 }]),
    (e: unknown) => e instanceof MtlError && e.code === 'evaluation.bad_baseline' && e.path === 'deltaM: t/mse',
  );
  assert.throws(() => deltaM([]), (e: unknown) => e instanceof MtlError && e.code === 'evaluation.no_metrics');
});

test('comparisons take each task\'s deltaMetrics (default: its first metric) with the direction the metric declares', () => {
  const multi = { r: { loss: 1, metrics: { mse: 2, mae: 1 }, examples: 5 }, c: { loss: 1, metrics: { auc: 0.6, accuracy: 0.5 }, examples: 5 } };
  const single = { r: { loss: 1, metrics: { mse: 1, mae: 1 }, examples: 5 }, c: { loss: 1, metrics: { auc: 0.8, accuracy: 0.5 }, examples: 5 } };
  assert.deepEqual(comparisonsFromEvaluations(multi, single), [
    { task: 'r', metric: 'mse', direction: 'lower', multiTask: 2, singleTask: 1 },
    { task: 'c', metric: 'auc', direction: 'higher', multiTask: 0.6, singleTask: 0.8 },
  ]);
  const chosen = comparisonsFromEvaluations(multi, single, { r: ['mse', 'mae'], c: ['accuracy'] });
  assert.deepEqual(chosen.map((c) => `${c.task}/${c.metric}/${c.direction}`), ['r/mse/lower', 'r/mae/lower', 'c/accuracy/higher']);
  close(deltaM(chosen), (50 + 0) / 2, 'r: (100 + 0)/2 = 50, c: 0');
});

test('the run summary states Δm with its formula and the per-task changes', () => {
  const evaluation = (metrics: Record<string, number>) => ({ loss: 0, metrics, examples: 10 });
  const { perTask, deltaM: d } = deltaMByTask(CASE);
  const summary: RunSummary = {
    name: 'demo',
    multiTask: { evaluation: { a: evaluation({ accuracy: 0.9 }) }, epochs: 1, steps: 1, seconds: 1, parameters: 10 },
    singleTask: { a: { evaluation: evaluation({ accuracy: 0.8 }), epochs: 1, seconds: 1, parameters: 5 } },
    deltaM: d,
    deltaMPerTask: perTask,
  };
  const text = formatSummary(summary);
  assert.match(text, /^Δm = \+1\.25% \(lower is better: the mean over tasks of each task's relative change against its single-task baseline\)$/m);
  assert.match(text, /^per task: a \(accuracy\) -12\.50%, b \(mse, mae\) \+17\.50%, c \(auc, accuracy, f1\) -1\.25%$/m);
  assert.ok(text.includes(DELTA_M_FORMULA), 'the formula line');
  assert.match(DELTA_M_FORMULA, /\(1\/T\) Σ_t \(1\/\|M_t\|\) Σ_\{m∈M_t\}/);
});
