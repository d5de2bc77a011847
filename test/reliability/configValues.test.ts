/**
 * Silent wrong results from the experiment file: every number finite (YAML's `.inf`
 * and `.nan`, JSON's 1e999), every integer safe, the run name one plain folder name,
 * the early-stopping metric and the static weights checked when the experiment is
 * read, the experiment path a regular file, the override history consistent.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildWeighting } from '../../src/experiment/buildExperiment.js';
import { readExperiment, validateExperiment } from '../../src/experiment/config.js';
import { isMtlError, scratch } from './helpers.js';

const base = () => ({
  name: 'exp',
  data: { source: 'synthetic-gradnorm', trainSize: 16, testSize: 8 },
  tasks: [
    { name: 'task0', kind: 'regression', outputs: 100 },
    { name: 'task1', kind: 'regression', outputs: 100 },
  ],
  model: { encoder: { type: 'mlp', hidden: [8] } },
  training: { epochs: 1, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.001 } },
});

/** A YAML experiment with one line replaced, read from disk the way `mtl train` reads it. */
function yamlWith(dir: string, line: string): string {
  const path = join(dir, `exp-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    path,
    `name: exp
data: { source: synthetic-gradnorm, trainSize: 16, testSize: 8 }
tasks:
  - { name: task0, kind: regression, outputs: 100 }
  - { name: task1, kind: regression, outputs: 100 }
model: { encoder: { type: mlp, hidden: [8] } }
${line}
`,
  );
  return path;
}

test('every number of the experiment file must be finite: .inf, -.inf, .nan and 1e999 are refused, naming the field', () => {
  const { dir, cleanup } = scratch();
  try {
    const training = (optimizer: string, rest = '', epochs = '1') => `training: { epochs: ${epochs}, batchSize: 8, optimizer: { type: adam, ${optimizer} }${rest} }`;
    const corpus: Array<[string, RegExp, string]> = [
      [training('learningRate: .inf'), /training\.optimizer\.learningRate$/, 'config.bad_value'],
      [training('learningRate: -.inf'), /training\.optimizer\.learningRate$/, 'config.bad_value'],
      [training('learningRate: .nan'), /training\.optimizer\.learningRate$/, 'config.bad_type'],
      [training('learningRate: 0.01, epsilon: .inf'), /training\.optimizer\.epsilon$/, 'config.bad_value'],
      [training('learningRate: 0.01, weightDecay: .inf'), /training\.optimizer\.weightDecay$/, 'config.bad_value'],
      [training('learningRate: 0.01', ', clipNorm: .inf'), /training\.clipNorm$/, 'config.bad_value'],
      [training('learningRate: 0.01', ', schedule: { type: step, stepEpochs: 1, gamma: .inf }'), /training\.schedule\.gamma$/, 'config.bad_value'],
      [training('learningRate: 0.01', ', schedule: { type: cosine, warmupEpochs: .inf }'), /training\.schedule\.warmupEpochs$/, 'config.bad_value'],
      [training('learningRate: 0.01', ', schedule: { type: cosine, minLearningRate: .inf }'), /training\.schedule\.minLearningRate$/, 'config.bad_value'],
      [training('learningRate: 0.01', ', earlyStopping: { metric: loss, minDelta: .inf }'), /training\.earlyStopping\.minDelta$/, 'config.bad_value'],
      [training('learningRate: 0.01', '', '1e300'), /training\.epochs$/, 'config.bad_value'],
      [training('learningRate: 0.01', '', '.inf'), /training\.epochs$/, 'config.bad_value'],
      [training('learningRate: 0.01', ', batchNormRecalibration: .inf'), /training\.batchNormRecalibration$/, 'config.bad_value'],
      [`${training('learningRate: 0.01')}\nseed: 1e300`, /: seed$/, 'config.bad_value'],
    ];
    for (const [line, path, code] of corpus) {
      assert.throws(() => readExperiment(yamlWith(dir, line)), isMtlError(code, { path }), line);
    }
    // Data options: a σ of .inf would give infinite labels.
    const sigmas = { ...base(), data: { source: 'synthetic-gradnorm', sigmas: [1, Infinity] } };
    assert.throws(() => validateExperiment(sigmas), isMtlError('config.bad_value', { path: /data\.sigmas\[1\]$/, expected: /finite/, found: /Infinity/ }));
    // JSON has no Infinity literal, but 1e999 parses to it.
    const json = join(dir, 'exp.json');
    writeFileSync(json, JSON.stringify(base()).replace('"learningRate":0.001', '"learningRate":1e999'));
    assert.throws(() => readExperiment(json), isMtlError('config.bad_value', { path: /learningRate$/, expected: /^a finite number$/, found: /Infinity/ }));
    // A finite file is accepted.
    assert.equal(readExperiment(yamlWith(dir, training('learningRate: 0.01'))).training.optimizer.learningRate, 0.01);
  } finally {
    cleanup();
  }
});

test('the run name is one plain folder name: ".", "..", hidden, option-like and nested names are refused', () => {
  for (const name of ['.', '..', '...', '.hidden', '-rf', '--force', 'a/b', '../up', 'a\\b', '', ' x', 'x'.repeat(101), 'naïve']) {
    assert.throws(() => validateExperiment({ ...base(), name }), isMtlError('config.bad_value', { path: /name$/ }), JSON.stringify(name));
  }
  for (const name of ['a', '1run', 'my_run.v2', '_x', 'multi-mnist', 'x'.repeat(100)]) {
    assert.equal(validateExperiment({ ...base(), name }).name, name);
  }
});

test('an experiment path that is a folder, a pipe or a device gets its own error (and never hangs)', () => {
  const { dir, cleanup } = scratch();
  try {
    const folder = join(dir, 'experiments');
    mkdirSync(folder);
    assert.throws(() => readExperiment(folder), isMtlError('config.is_directory', { found: /^a folder$/ }));
    writeFileSync(join(folder, 'mnist.yaml'), 'name: x\n');
    assert.throws(() => readExperiment(folder), isMtlError('config.is_directory', { found: /"mnist\.yaml"/, fix: /experiments\/mnist\.yaml/ }));
    assert.throws(() => readExperiment(join(dir, 'nope.yaml')), isMtlError('config.missing_file'));
    assert.throws(() => readExperiment('/dev/zero'), isMtlError('io.not_regular_file', { found: /a device/ }));
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    assert.throws(() => readExperiment(fifo), isMtlError('io.not_regular_file', { found: /a named pipe/ }));
  } finally {
    cleanup();
  }
});

test('training.earlyStopping.metric is checked against the tasks and their metrics when the experiment is read', () => {
  const withMetric = (metric: string, tasks = base().tasks as unknown[]) =>
    validateExperiment({ ...base(), tasks, training: { ...base().training, earlyStopping: { metric } } });
  for (const ok of ['loss', 'task0/loss', 'task0/mse', 'task1/mae', 'mean/mse', 'mean/loss']) assert.doesNotThrow(() => withMetric(ok), ok);
  assert.throws(() => withMetric('task0/mes'), isMtlError('config.unknown_metric', { path: /training\.earlyStopping\.metric$/, fix: /did you mean "task0\/mse"\?/ }));
  assert.throws(() => withMetric('task2/mse'), isMtlError('config.unknown_metric', { expected: /task0\/mse/ }));
  assert.throws(() => withMetric('accuracy'), isMtlError('config.unknown_metric'));
  assert.throws(() => withMetric('task0/accuracy'), isMtlError('config.unknown_metric'), 'not a metric the regression task reports');
  // mean/<metric> needs the metric in every task: a binary and a regression task share none.
  const mixed = [
    { name: 'a', kind: 'binary' },
    { name: 'b', kind: 'regression' },
  ];
  assert.doesNotThrow(() => withMetric('a/auc', mixed));
  assert.throws(() => withMetric('mean/auc', mixed), isMtlError('config.unknown_metric'));
  // The task's own metric list decides.
  const custom = [
    { name: 'a', kind: 'binary', metrics: ['f1'] },
    { name: 'b', kind: 'binary', metrics: ['f1', 'auc'] },
  ];
  assert.doesNotThrow(() => withMetric('mean/f1', custom));
  assert.throws(() => withMetric('a/auc', custom), isMtlError('config.unknown_metric'));
});

test('static weights: all zero, negative, non-finite or not an object are refused when the experiment is built', () => {
  const build = (weights: unknown) => buildWeighting(validateExperiment({ ...base(), weighting: { method: 'static', options: { weights } } }), ['task0', 'task1']);
  assert.throws(() => build({ task0: 0, task1: 0 }), isMtlError('weighting.bad_option', { path: /weighting\.options\.weights$/, expected: /> 0/ }));
  assert.throws(() => build({ task0: -1 }), isMtlError('weighting.bad_option', { path: /weights\.task0$/ }));
  assert.throws(() => build({ task1: Infinity }), isMtlError('weighting.bad_option', { path: /weights\.task1$/ }));
  assert.throws(() => build({ task1: Number.NaN }), isMtlError('weighting.bad_option', { path: /weights\.task1$/ }));
  assert.throws(() => build([1, 2]), isMtlError('weighting.bad_option', { expected: /object of task weights/ }));
  assert.deepEqual((build({ task0: 0 }).options as { weights: number[] }).weights, [0, 1], 'one zero is fine: the other task trains');
});

test('a run\'s override history must be consistent with the config it is in', () => {
  const withOverrides = (overrides: unknown[], learningRate = 0.001) =>
    validateExperiment({ ...base(), training: { ...base().training, optimizer: { type: 'adam', learningRate } }, overrides });
  const ok = [{ step: 4, field: 'training.optimizer.learningRate', old: 0.01, new: 0.001 }];
  assert.equal(withOverrides(ok).overrides!.length, 1);
  assert.throws(() => withOverrides(ok, 0.002), isMtlError('config.bad_override', { path: /training\.optimizer\.learningRate$/ }));
  assert.throws(
    () => withOverrides([ok[0], { step: 2, field: 'training.optimizer.learningRate', old: 0.001, new: 0.0005 }], 0.0005),
    isMtlError('config.bad_override', { path: /overrides\[1\]$/, expected: /step ≥ 4/ }),
  );
  assert.throws(() => withOverrides([{ step: 0, field: 'training.epochs', old: 1, new: 2.5 }]), isMtlError('config.bad_override'));
  assert.throws(() => withOverrides([{ step: 0, field: 'training.batchSize', old: 8, new: 16 }]), isMtlError('config.bad_value', { path: /overrides\[0\]\.field$/ }));
});
