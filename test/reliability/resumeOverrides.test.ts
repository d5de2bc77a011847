/**
 * What a resume may change: the learning rate and the number of epochs, each recorded
 * in config.json as an override from the checkpoint's step (so that config.json still
 * reproduces the run); any other changed field refuses the resume, each named with its
 * old and new value, and leaves the run folder as it was.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validateExperiment, type ExperimentConfig } from '../../src/experiment/config.js';
import { experimentDifferences, resolveResume, settingChanges } from '../../src/experiment/resumeOverrides.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { readConfigFile } from '../../src/experiment/runFolder.js';
import { settingAt } from '../../src/training/settingChanges.js';
import { hashTree, isMtlError, scratch, tinyCsvExperiment } from './helpers.js';

let work: { dir: string; cleanup: () => void };
const quiet = { progress: false, log: () => {} };
before(() => (work = scratch('mtl-resume-')));
after(() => work.cleanup());

test('settingAt: the value in force at each step, from the current value and the changes in order', () => {
  const changes = [
    { step: 10, setting: 'learningRate' as const, old: 0.1, new: 0.01 },
    { step: 10, setting: 'epochs' as const, old: 3, new: 5 },
    { step: 25, setting: 'learningRate' as const, old: 0.01, new: 0.001 },
  ];
  assert.deepEqual([0, 9, 10, 24, 25, 99].map((s) => settingAt(0.001, changes, 'learningRate', s)), [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
  assert.deepEqual([9, 10].map((s) => settingAt(5, changes, 'epochs', s)), [3, 5]);
  assert.equal(settingAt(7, undefined, 'epochs', 3), 7);
});

test('experimentDifferences names every changed leaf with both values', () => {
  const { dir, cleanup } = scratch();
  try {
    const a = validateExperiment(tinyCsvExperiment(dir));
    const b = validateExperiment({
      ...tinyCsvExperiment(dir),
      seed: 9,
      tasks: [{ name: 'y', kind: 'binary', columns: ['y'] }, { name: 'z', kind: 'regression', columns: ['z'], outputs: 1 }],
      model: { encoder: { type: 'mlp', hidden: [4, 2] } },
      training: { epochs: 20, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 } },
      baselines: true,
    });
    assert.deepEqual(
      experimentDifferences(a, b).map((d) => `${d.path}: ${d.old} → ${d.new}`),
      ['seed: 1 → 9', 'tasks[1].outputs: (absent) → 1', 'model.encoder.hidden: [4] → [4,2]', 'training.epochs: 2 → 20', 'training.batchSize: 8 → 16'],
      'baselines is not a training setting',
    );
  } finally {
    cleanup();
  }
});

test('a refused resume names each changed field (old → new) and changes nothing', async () => {
  const config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 2 } }));
  const run = join(work.dir, 'refused');
  await runExperiment(config, { runDir: run, ...quiet });
  const before = [hashTree(run), hashTree(work.dir)];
  const changed = validateExperiment({
    ...tinyCsvExperiment(work.dir, { training: { epochs: 2, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.01 } } }),
    seed: 2,
    model: { encoder: { type: 'mlp', hidden: [5] } },
  });
  await assert.rejects(
    runExperiment(changed, { runDir: run, resume: true, ...quiet }),
    isMtlError('run.config_changed', {
      path: /refused\/config\.json$/,
      found: /^4 changed fields: seed: 1 → 2; model\.encoder\.hidden\[0\]: 4 → 5; training\.batchSize: 8 → 4; training\.optimizer\.type: "adam" → "sgd"$/,
      fix: /--learning-rate.*--epochs/,
    }),
  );
  assert.deepEqual([hashTree(run), hashTree(work.dir)], before);
});

test('--epochs extends a finished run (an override), exactly as if it had been trained that long; fewer epochs than done is refused', async () => {
  const config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 1 } }));
  const run = join(work.dir, 'extend');
  await runExperiment(config, { runDir: run, ...quiet });
  const extended = await runExperiment(config, { runDir: run, resume: true, epochs: 3, ...quiet });
  assert.equal(extended.multiTask!.epochs, 3);
  const saved = readConfigFile(join(run, 'config.json'));
  assert.equal(saved.training.epochs, 3);
  assert.deepEqual(saved.overrides, [{ step: 4, field: 'training.epochs', old: 1, new: 3 }]);
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(metrics.filter((m) => m.type === 'epoch').map((m) => m.epoch), [0, 1, 2]);
  const straight = await runExperiment({ ...config, training: { ...config.training, epochs: 3 } }, { runDir: join(work.dir, 'straight'), ...quiet });
  assert.deepEqual(extended.multiTask!.evaluation, straight.multiTask!.evaluation, 'the same numbers as a 3-epoch run');
  const before = hashTree(run);
  await assert.rejects(runExperiment(config, { runDir: run, resume: true, epochs: 2, ...quiet }), isMtlError('run.bad_override', { path: /^training\.epochs$/, expected: /at least the 3 epochs/ }));
  assert.equal(hashTree(run), before);
});

test('with a cosine schedule, a run extended on resume is reproduced by its config.json (the schedule follows the epochs in force at each step)', async () => {
  const config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 2, schedule: { type: 'cosine', warmupEpochs: 0.5 } } }));
  const run = join(work.dir, 'cosine');
  await runExperiment(config, { runDir: run, ...quiet });
  const extended = await runExperiment(config, { runDir: run, resume: true, epochs: 4, ...quiet });
  const replay = await runExperiment(readConfigFile(join(run, 'config.json')), { runDir: join(work.dir, 'cosine-replay'), ...quiet });
  assert.deepEqual(replay.multiTask!.evaluation, extended.multiTask!.evaluation);
  const rates = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).learningRate);
  assert.deepEqual(rates(join(work.dir, 'cosine-replay')), rates(run));
});

test('resolveResume: overrides accumulate with their steps; AdaShare runs keep their settings', () => {
  const { dir, cleanup } = scratch();
  try {
    const saved = validateExperiment(tinyCsvExperiment(dir));
    const lower = (c: ExperimentConfig, lr: number): ExperimentConfig => ({ ...c, training: { ...c.training, optimizer: { ...c.training.optimizer, learningRate: lr } } });
    const first = resolveResume(saved, lower(saved, 0.001), { step: 12, epochsDone: 1, configPath: 'c' });
    assert.deepEqual(first.added, [{ step: 12, field: 'training.optimizer.learningRate', old: 0.01, new: 0.001 }]);
    const second = resolveResume(first.config, lower(saved, 0.0001), { step: 30, epochsDone: 2, configPath: 'c' });
    assert.deepEqual(second.config.overrides!.map((o) => [o.step, o.old, o.new]), [[12, 0.01, 0.001], [30, 0.001, 0.0001]]);
    assert.doesNotThrow(() => validateExperiment(second.config), 'the recorded history is a valid experiment');
    assert.deepEqual(settingChanges(second.config).map((c) => settingAt(0.0001, settingChanges(second.config), 'learningRate', c.step - 1)), [0.01, 0.001]);
    const adashare = validateExperiment({ ...tinyCsvExperiment(dir), model: { architecture: 'adashare', encoder: { type: 'mlp', hidden: [4, 4] } } });
    assert.throws(() => resolveResume(adashare, lower(adashare, 0.001), { step: 1, epochsDone: 0, configPath: 'c' }), isMtlError('run.bad_override', { expected: /AdaShare/ }));
  } finally {
    cleanup();
  }
});
