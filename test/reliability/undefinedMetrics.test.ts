/**
 * Crashes on undefined figures: a binary test split with one class (AUC undefined) or a
 * task without test labels (every metric undefined) is reported as "undefined
 * (reason)" in epoch lines, summary.md, summary.json (null) and `mtl eval`; Δm leaves
 * those metrics out and says which; early stopping does not count an undefined value.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { evaluateRun } from '../../src/experiment/evaluateRun.js';
import { formatSummary, readSummary, runExperiment, type RunSummary } from '../../src/experiment/runExperiment.js';
import { formatFigure } from '../../src/evaluation/undefinedMetrics.js';
import { auc, f1 } from '../../src/tasks/metrics.js';
import { scratch } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let run: string;
let lines: string[] = [];

/** Training rows with both classes; test rows where y is always 0 and z has no label. */
function experiment(dir: string, extra: Record<string, unknown> = {}) {
  const row = (i: number, test: boolean) => {
    const x1 = ((i * 37) % 17) / 8 - 1;
    const x2 = ((i * 11) % 13) / 6 - 1;
    return `${x1.toFixed(3)},${x2.toFixed(3)},${test ? 0 : x1 + x2 > 0 ? 1 : 0},${test ? '' : (2 * x1 - x2).toFixed(3)}`;
  };
  writeFileSync(join(dir, 'train.csv'), ['x1,x2,y,z', ...Array.from({ length: 40 }, (_, i) => row(i, false))].join('\n') + '\n');
  writeFileSync(join(dir, 'test.csv'), ['x1,x2,y,z', ...Array.from({ length: 12 }, (_, i) => row(i + 100, true))].join('\n') + '\n');
  return validateExperiment({
    name: 'one-class',
    seed: 2,
    data: { source: 'csv', path: join(dir, 'train.csv'), testPath: join(dir, 'test.csv'), features: ['x1', 'x2'] },
    tasks: [
      // Both of y's metrics count for Δm (default: the first only).
      { name: 'y', kind: 'binary', columns: ['y'], deltaMetrics: ['auc', 'accuracy'] },
      { name: 'z', kind: 'regression', columns: ['z'] },
    ],
    model: { encoder: { type: 'mlp', hidden: [4] } },
    training: { epochs: 2, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.01 } },
    ...extra,
  });
}

before(async () => {
  work = scratch('mtl-undef-');
  run = join(work.dir, 'run');
  await runExperiment(experiment(work.dir), { runDir: run, baselines: true, progress: false, log: (l) => lines.push(l) });
});
after(() => work.cleanup());

test('the metric accumulators say why a figure is undefined', () => {
  const a = auc.create();
  a.update(Float32Array.of(0, 0, 0), Float32Array.of(0.2, 0.7, 0.4), Float32Array.of(1, 1, 1), 1, 1);
  assert.ok(Number.isNaN(a.result()));
  assert.match(a.undefinedReason!()!, /only one class among the 3 labelled examples \(all negative\)/);
  const f = f1.create();
  f.update(Float32Array.of(0, 0), Float32Array.of(0.1, 0.2), Float32Array.of(1, 1), 1, 1);
  assert.ok(Number.isNaN(f.result()));
  assert.match(f.undefinedReason!()!, /F1 is 0\/0/);
  assert.equal(formatFigure(0.123456), '0.1235');
  assert.equal(formatFigure(Number.NaN, 'why'), 'undefined (why)');
  assert.equal(formatFigure(null), 'undefined');
});

test('training with a one-class test split and a task without test labels finishes, saying what is undefined and why', () => {
  const epochLines = lines.filter((l) => /^epoch \d\/2/.test(l));
  assert.ok(epochLines.length >= 2, lines.join('\n'));
  assert.match(epochLines[0]!, /y auc undefined \(only one class among the 12 labelled examples \(all negative\): AUC needs both\) accuracy \d\.\d{4}/);
  assert.match(epochLines[0]!, /z mse undefined \(no labelled examples for task "z" in [^)]*test\.csv\) mae undefined/);
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
  assert.equal(summary.multiTask.evaluation.y.metrics.auc, null, 'undefined is null in JSON');
  assert.equal(typeof summary.multiTask.evaluation.y.metrics.accuracy, 'number');
  assert.match(summary.multiTask.evaluation.z.undefinedReasons.mse, /no labelled examples/);
  // Δm reads y's auc and accuracy and z's mse (its deltaMetrics): only y/accuracy has
  // figures on both sides; the two others are left out, each with its reason.
  assert.deepEqual(summary.comparison.map((c: { task: string; metric: string }) => `${c.task}/${c.metric}`), ['y/accuracy']);
  assert.deepEqual(summary.deltaMLeftOut.map((c: { task: string; metric: string }) => `${c.task}/${c.metric}`), ['y/auc', 'z/mse']);
  const c = summary.comparison[0];
  assert.ok(Math.abs(summary.deltaM - (-(c.multiTask - c.singleTask) / c.singleTask) * 100) < 1e-12, 'Δm over the defined metric only');
  const md = readFileSync(join(run, 'summary.md'), 'utf8');
  assert.match(md, /\| y \| auc \| undefined \(only one class[^|]*\| undefined \(only one class[^|]*\|/);
  assert.match(md, /Δm leaves out: y\/auc \(multi-task: only one class[^)]*\)[^;]*; z\/mse \(multi-task: no labelled examples/);
});

test('mtl eval of that run prints the undefined figures and the summary, every time', async () => {
  for (let i = 0; i < 2; i++) {
    const out: string[] = [];
    const evaluation = await evaluateRun(run, (l) => out.push(l));
    assert.ok(Number.isNaN(evaluation.y!.metrics.auc!));
    const text = out.join('\n');
    assert.match(text, /^y: loss \d+\.\d{4}  auc undefined \(only one class .*AUC needs both\)  accuracy \d\.\d{4}  \(12 examples\)/m);
    assert.match(text, /^z: loss undefined \(no labelled examples[^)]*\)  mse undefined/m);
    assert.match(text, /Δm = [+-]\d+\.\d\d%/);
  }
});

test('formatSummary of a summary read back from JSON (nulls), and of one where every metric is undefined', () => {
  const summary = readSummary(run)!;
  assert.ok(Number.isNaN(summary.multiTask!.evaluation.y!.metrics.auc!), 'null reads back as NaN');
  assert.doesNotThrow(() => formatSummary(summary));
  const none: RunSummary = {
    name: 'x',
    multiTask: { evaluation: { z: { loss: Number.NaN, metrics: { mse: Number.NaN }, examples: 0 } }, epochs: 1, steps: 1, seconds: 1, parameters: 1 },
    singleTask: { z: { evaluation: { loss: Number.NaN, metrics: { mse: Number.NaN }, examples: 0 }, epochs: 1, seconds: 1, parameters: 1 } },
    deltaMLeftOut: [{ task: 'z', metric: 'mse', reason: 'multi-task: no labelled examples' }],
  };
  const md = formatSummary(none);
  assert.match(md, /\| z \| mse \| undefined \(no labelled examples\) \| undefined \(no labelled examples\) \|/);
  assert.match(md, /Δm: undefined \(every metric it reads is undefined/);
});

test('early stopping on an undefined metric: never an improvement, said in the log, and training still ends well', async () => {
  const out: string[] = [];
  const config = experiment(work.dir, { training: { epochs: 3, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.01 }, earlyStopping: { metric: 'y/auc', patience: 2 } } });
  const summary = await runExperiment(config, { runDir: join(work.dir, 'early'), progress: false, log: (l) => out.push(l) });
  assert.match(out.join('\n'), /early stopping: y\/auc is undefined this epoch; not counted as an improvement/);
  assert.match(out.join('\n'), /has not improved for 2 epochs \(it was never defined\)/);
  assert.equal(summary.multiTask!.epochs, 2);
});
