import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { validateExperiment, type ExperimentConfig } from '../../src/experiment/config.js';
import { loadExperimentData } from '../../src/experiment/loadData.js';
import { runBaselines, runExperiment } from '../../src/experiment/runExperiment.js';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOverrideText } from '../../src/trials/overrides.js';
import { defineTrial, defineTrials, singleTaskTrial } from '../../src/trials/trial.js';
import { shortKey, trialId } from '../../src/trials/trialId.js';

/** The patients CSV with two of its three tasks, its features left to "rest" (every other column). */
const patients = (): ExperimentConfig =>
  validateExperiment({
    name: 'patients',
    seed: 3,
    data: { source: 'csv', path: 'examples/data/patients.csv', standardize: true, testFraction: 0.25 },
    tasks: [
      { name: 'readmitted', kind: 'binary', columns: ['readmitted'] },
      { name: 'risk', kind: 'multiclass', classes: ['low', 'medium', 'high'], columns: ['risk_level'] },
      { name: 'stay', kind: 'regression', columns: ['length_of_stay'], head: { hidden: [4] } },
    ],
    model: { encoder: { type: 'mlp', hidden: [8] } },
    training: { epochs: 2, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.01 } },
    baselines: true,
    sweep: { set: { 'weighting.method': ['equal', 'pcgrad'] }, seeds: [0, 1] },
  });

function expectError(fn: () => unknown, check: { code: string; path: RegExp; fix?: RegExp; found?: RegExp }) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MtlError, `not an MtlError: ${String(e)}`);
    assert.equal(e.code, check.code, e.message);
    assert.match(e.path, check.path);
    if (check.fix) assert.match(e.fix ?? '', check.fix);
    if (check.found) assert.match(e.found, check.found);
    return true;
  });
}

test('a trial applies its overrides by dotted path, by task name, and null removes a field; its id names them', () => {
  const base = patients();
  const trial = defineTrial(base, {
    'weighting.method': 'pcgrad',
    seed: 1,
    'training.optimizer.learningRate': 0.003,
    'tasks.stay.head.hidden': [16, 8],
    'model.encoder.hidden': [32],
    'tasks.risk.head': null,
  });
  assert.equal(trial.config.weighting.method, 'pcgrad');
  assert.equal(trial.config.seed, 1);
  assert.equal(trial.config.training.optimizer.learningRate, 0.003);
  assert.deepEqual(trial.config.tasks.find((t) => t.name === 'stay')!.head, { hidden: [16, 8] });
  assert.equal(trial.config.tasks.find((t) => t.name === 'risk')!.head, undefined);
  assert.deepEqual(trial.config.model.encoder, { type: 'mlp', hidden: [32] });
  // A trial carries no sweep block and trains no baselines of its own; the base is untouched.
  assert.equal(trial.config.sweep, undefined);
  assert.equal(trial.config.baselines, false);
  assert.equal(base.weighting.method, 'equal');
  assert.deepEqual(base.tasks[2]!.head, { hidden: [4] });
  assert.equal(defineTrial(base, { 'weighting.method': 'pcgrad', seed: 1 }).id, 'method-pcgrad__seed-1');
  assert.equal(trialId({ seed: 1, 'weighting.method': 'pcgrad' }), 'method-pcgrad__seed-1', 'the order of the overrides does not matter');
});

test('trial ids: short keys only where unambiguous, the seed last, a hash only when the pairs cannot be written as they are', () => {
  assert.equal(shortKey('weighting.method'), 'method');
  assert.equal(shortKey('training.epochs'), 'epochs');
  assert.equal(shortKey('data.trainSize'), 'trainSize');
  assert.equal(shortKey('model.encoder.type'), 'model.encoder.type', 'type is also the optimizer\'s and the schedule\'s');
  assert.equal(shortKey('weighting.options.momentum'), 'weighting.options.momentum');
  assert.equal(trialId({}), 'base');
  assert.equal(trialId({ seed: 0, 'training.epochs': 10, 'model.architecture': 'mmoe', 'weighting.method': 'db-mtl' }), 'architecture-mmoe__epochs-10__method-db-mtl__seed-0');
  assert.equal(trialId({ tasks: ['left', 'right'], seed: 2 }), 'tasks-left+right__seed-2');
  assert.equal(trialId({ 'training.optimizer.learningRate': 0.0005 }), 'learningRate-0.0005');
  // Lossy: text that reads like a number, characters a folder name cannot hold, objects.
  const withHash = [
    trialId({ 'weighting.method': '1' }),
    trialId({ 'data.path': 'data/a b.csv' }),
    trialId({ 'weighting.options': { weights: { stay: 2 } } }),
  ];
  for (const id of withHash) assert.match(id, /__[0-9a-f]{8}$/, id);
  assert.notEqual(trialId({ 'data.path': 'data/a b.csv' }), trialId({ 'data.path': 'data/a_b.csv' }), 'distinct overrides never share an id');
  assert.notEqual(trialId({ 'weighting.method': '1' }), trialId({ 'weighting.method': 1 }));
  const long = trialId({ 'data.path': 'x'.repeat(30), 'model.encoder.hidden': [64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64] });
  assert.ok(long.length <= 100, long);
  assert.equal(long, trialId({ 'model.encoder.hidden': [64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64], 'data.path': 'x'.repeat(30) }), 'stable');
  for (const id of [...withHash, long]) assert.match(id, /^[A-Za-z0-9][A-Za-z0-9._+-]*$/);
});

test('a task subset keeps the experiment\'s order, and CSV label columns of the tasks left out never become features', () => {
  const base = patients();
  const trial = defineTrial(base, { tasks: 'stay+readmitted' });
  assert.deepEqual(trial.overrides.tasks, ['readmitted', 'stay']);
  assert.equal(trial.id, 'tasks-readmitted+stay');
  assert.deepEqual(trial.config.tasks.map((t) => t.name), ['readmitted', 'stay']);
  // features: rest would otherwise turn risk_level (risk's labels) into an input.
  const header = ['age', 'bmi', 'systolic_bp', 'glucose', 'cholesterol', 'smoker', 'exercise_hours', 'prior_visits'];
  assert.deepEqual((trial.config.data as { features: string[] }).features, header);
  const data = loadExperimentData(trial.config);
  assert.deepEqual(data.train.inputShape, [8]);
  assert.deepEqual(data.train.taskNames.sort(), ['readmitted', 'stay']);
  expectError(() => defineTrial(base, { tasks: ['readmited'] }), { code: 'config.unknown_task', path: /tasks/, fix: /did you mean "readmitted"/ });
  expectError(() => defineTrial(base, { tasks: [] }), { code: 'config.bad_value', path: /tasks/ });
});

test('single-task baselines: plain single-task networks of the encoder, shared by every method and architecture, per budget', () => {
  const base = validateExperiment({ ...patients(), model: { architecture: 'mmoe', encoder: { type: 'mlp', hidden: [8] }, options: { experts: 3 } } });
  const a = singleTaskTrial(base, { 'weighting.method': 'pcgrad', 'model.architecture': 'mmoe', seed: 0 }, 'stay');
  const b = singleTaskTrial(base, { 'weighting.method': 'equal', 'model.architecture': 'hard-sharing', tasks: ['risk', 'stay'], seed: 0 }, 'stay');
  assert.equal(a.id, 'single-task/stay__seed-0');
  assert.equal(b.id, a.id);
  assert.deepEqual(b.config, a.config);
  assert.equal(a.config.model.architecture, 'hard-sharing');
  assert.equal(a.config.model.options, undefined);
  assert.deepEqual(a.config.weighting, { method: 'equal' });
  assert.deepEqual(a.config.tasks.map((t) => t.name), ['stay']);
  const longer = singleTaskTrial(base, { 'weighting.method': 'pcgrad', 'training.epochs': 5, seed: 0 }, 'stay');
  assert.equal(longer.id, 'single-task/stay__epochs-5__seed-0');
  assert.equal(longer.config.training.epochs, 5);
  // Another task's head does not change this task's network; its own does.
  assert.equal(singleTaskTrial(base, { 'tasks.risk.head.hidden': [2], seed: 0 }, 'stay').id, a.id);
  assert.notEqual(singleTaskTrial(base, { 'tasks.stay.head.hidden': [2], seed: 0 }, 'stay').id, a.id);
});

test('bad overrides are coded errors naming the override, before any trial is defined', () => {
  const base = patients();
  const describe = (key: string) => `--set ${key}`;
  expectError(() => defineTrial(base, { 'weighting.metod': 'pcgrad' }, { describe }), { code: 'config.unknown_key', path: /^--set weighting\.metod$/, fix: /did you mean "weighting\.method"/ });
  expectError(() => defineTrial(base, { 'training.schedul.type': 'cosine' }, { describe }), { code: 'config.unknown_key', path: /--set training\.schedul\.type/, fix: /training\.schedule/ });
  expectError(() => defineTrial(base, { 'tasks.stai.head.dropout': 0.1 }, { describe }), { code: 'config.unknown_task', path: /--set tasks\.stai/, fix: /tasks\.stay\.head\.dropout/ });
  expectError(() => defineTrial(base, { 'training.epochs': 0 }, { describe }), { code: 'config.bad_value', path: /^--set training\.epochs=0 \(trial epochs-0\): training\.epochs$/, found: /0/ });
  expectError(() => defineTrial(base, { 'weighting.method': 'pcgard' }, { describe }), { code: 'weighting.unknown_method', path: /--set weighting\.method=pcgard/, fix: /pcgrad/ });
  expectError(() => defineTrial(base, { 'model.architecture': 'mmo' }, { describe }), { code: 'config.bad_value', path: /--set model\.architecture=mmo/, fix: /mmoe/ });
  expectError(() => defineTrials(base, [{ seed: 1 }, { seed: 1 }]), { code: 'trials.duplicate', path: /seed-1/ });
});

test('--set values are read by what the field takes', () => {
  const base = patients();
  assert.equal(parseOverrideText(base, 'weighting.method', 'equal'), 'equal');
  assert.equal(parseOverrideText(base, 'name', '123'), '123', 'a text field keeps digits as text');
  assert.equal(parseOverrideText(base, 'training.epochs', '3'), 3);
  assert.equal(parseOverrideText(base, 'training.optimizer.learningRate', '5e-4'), 0.0005);
  assert.deepEqual(parseOverrideText(base, 'model.encoder.hidden', '[64, 64]'), [64, 64]);
  assert.equal(parseOverrideText(base, 'data.standardize', 'false'), false);
  assert.equal(parseOverrideText(base, 'training.schedule', 'null'), null);
  assert.equal(parseOverrideText(base, 'weighting.options.beta', '0.5'), 0.5);
  assert.equal(parseOverrideText(base, 'weighting.options.mode', 'fast'), 'fast');
  assert.deepEqual(parseOverrideText(base, 'tasks', 'risk+stay'), ['risk', 'stay']);
  assert.deepEqual(parseOverrideText(base, 'data.features', 'rest'), 'rest');
  assert.deepEqual(parseOverrideText(base, 'data.features', '["age","bmi"]'), ['age', 'bmi']);
});

test('a single-task trial trains the same network as `mtl baselines`, to the last bit, leaking no tensors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-trial-'));
  try {
    const p = patients();
    const base = validateExperiment({ ...p, sweep: undefined, data: { ...p.data, features: ['age', 'bmi', 'glucose', 'smoker'] }, tasks: p.tasks.filter((t) => t.name !== 'risk') });
    const before = tf.memory().numTensors;
    const baselines = await runBaselines(base, { runDir: join(dir, 'baselines'), progress: false, log: () => {} });
    for (const task of ['readmitted', 'stay']) {
      const trial = singleTaskTrial(base, { seed: base.seed }, task);
      const summary = await runExperiment(trial.config, { runDir: join(dir, trial.id), progress: false, log: () => {} });
      assert.deepEqual(summary.multiTask!.evaluation[task]!.metrics, baselines.singleTask![task]!.evaluation.metrics, task);
      assert.equal(summary.multiTask!.parameters, baselines.singleTask![task]!.parameters);
    }
    assert.equal(tf.memory().numTensors, before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
