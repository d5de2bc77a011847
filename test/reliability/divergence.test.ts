/**
 * Divergence: caught at the first non-finite loss, gradient or task weight under every
 * weighting method, before the method's state, the optimizer or any weight changes; the
 * error names the step, the task(s) and what the last checkpoint is good for (intact
 * and finite: resume from it with a lower learning rate; exploded: start again; none:
 * start again); and resuming with `--learning-rate` is an allowed override, recorded in
 * config.json, from which a fresh run reproduces the resumed one exactly.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { MtlError } from '../../src/errors.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { readConfigFile } from '../../src/experiment/runFolder.js';
import { readWeights } from '../../src/io/modelFiles.js';
import { createTask } from '../../src/tasks/createTask.js';
import type { Task } from '../../src/tasks/task.js';
import { inspectCheckpoint, readCheckpoint } from '../../src/training/checkpoint.js';
import { DivergenceError, divergenceError } from '../../src/training/divergence.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { Random } from '../../src/random/random.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { trainStep } from '../../src/training/trainStep.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { weightingMethods } from '../../src/weighting/registry.js';
import { isMtlError, scratch } from './helpers.js';

let work: { dir: string; cleanup: () => void };
before(() => (work = scratch('mtl-diverge-')));
after(() => work.cleanup());

/**
 * Squared error whose gradient is NaN on rows labelled 999 while the loss stays finite:
 * a gradient divergence that a finite loss does not show.
 */
const poisonedSquaredError = tf.customGrad(((outputs: tf.Tensor, labels: tf.Tensor, save: tf.GradSaveFunc) => {
  save([outputs, labels]);
  return {
    value: tf.sum(tf.square(tf.sub(outputs, labels)), 1),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [o, l] = saved as [tf.Tensor, tf.Tensor];
      const g = tf.mul(tf.mul(tf.sub(o, l), 2), tf.expandDims(dy, 1));
      return [tf.where(tf.equal(l, 999), tf.fill(g.shape, Number.NaN), g), tf.zerosLike(l)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (o: tf.Tensor2D, l: tf.Tensor2D) => tf.Tensor1D;

const N = 48;
const BATCH = 8;
const SEED = 3;

/** Two regression tasks a and b (b's loss poisoned as above); `label` puts one special label at example `at`. */
function problem(special: { task: 'a' | 'b'; at: number; label: number }) {
  const r = new Random(7);
  const x = new Float32Array(N * 4).map(() => r.normal());
  const a = new Float32Array(N).map((_, i) => x[i * 4]! - x[i * 4 + 1]!);
  const b = new Float32Array(N).map((_, i) => 0.5 * x[i * 4 + 2]!);
  (special.task === 'a' ? a : b)[special.at] = special.label;
  const data = new ArrayDataset({ data: x, shape: [N, 4] }, { a: { values: a, width: 1 }, b: { values: b, width: 1 } }, 'diverging');
  const base = createTask({ name: 'b', kind: 'regression' });
  const tasks: Task[] = [createTask({ name: 'a', kind: 'regression' }), { ...base, exampleLosses: (o, l) => poisonedSquaredError(o, l) }];
  return { data, tasks };
}

/** The step (0-based) whose batch holds example `i` in epoch 0, as the trainer orders the data. */
function stepOf(i: number): number {
  return Math.floor(Array.from(new Random(`${SEED}:epoch:0`).permutation(N)).indexOf(i) / BATCH);
}

async function fitUntilDivergence(method: WeightingMethod<unknown, unknown>, special: { task: 'a' | 'b'; at: number; label: number }) {
  installSeededRandom(SEED);
  const { data, tasks } = problem(special);
  const model = hardSharing({ tasks, inputShape: [4], encoder: { type: 'mlp', hidden: [6] } });
  const optimizer = new Adam();
  const methodOptions = method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: SEED });
  try {
    await fit({ model, train: data, method, methodOptions, optimizer, learningRate: 0.01, epochs: 2, batchSize: BATCH, seed: SEED, progress: false, log: () => {} });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    optimizer.dispose();
    model.model.dispose();
  }
}

test('every weighting method: a non-finite loss and a non-finite gradient are caught at their first step, naming it and the task', async () => {
  // The example at position 20 of epoch 0's order: in the third batch.
  const at = Array.from(new Random(`${SEED}:epoch:0`).permutation(N))[20]!;
  const step = stepOf(at);
  assert.equal(step, 2);
  for (const [name, method] of Object.entries(weightingMethods)) {
    const loss = await fitUntilDivergence(method as WeightingMethod<unknown, unknown>, { task: 'a', at, label: 1e30 });
    isMtlError('training.diverged', { path: new RegExp(`^step ${step} \\(epoch 1\\), task "a"$`), found: /non-finite loss: a Infinity/, fix: /lower the learning rate/ })(loss);
    const gradient = await fitUntilDivergence(method as WeightingMethod<unknown, unknown>, { task: 'b', at, label: 999 });
    isMtlError('training.diverged', { path: new RegExp(`^step ${step} \\(epoch 1\\), task "b"$`), found: /non-finite gradient/ })(gradient);
    assert.notEqual((loss as MtlError).code, 'weighting.bad_losses', name);
  }
});

test('a diverging step changes nothing: weights, optimizer state and method state as before, no tensor left behind', () => {
  installSeededRandom(SEED);
  const { data, tasks } = problem({ task: 'b', at: 0, label: 999 });
  const model = hardSharing({ tasks, inputShape: [4], encoder: { type: 'mlp', hidden: [6] } });
  const optimizer = new Adam();
  const method = weightingMethods.famo as WeightingMethod<unknown, unknown>;
  const options = method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: 0 });
  const state = method.init({ taskNames: ['a', 'b'], seed: 0 }, options);
  const weightsBefore = model.model.getWeights().map((w) => Array.from(w.dataSync()));
  const stateBefore = JSON.stringify(optimizer.getState());
  const [batch] = [...data.batches({ batchSize: 4 })];
  const tensors = tf.memory().numTensors;
  assert.throws(
    () => trainStep(batch!, { model, optimizer, method, methodOptions: options, methodState: state, lastWeights: [1, 1], learningRate: 0.01, gradientMode: 'parameters', epoch: 0, step: 0 }),
    (e: unknown) => e instanceof DivergenceError && e.tasks.includes('b') && e.kind === 'gradient',
  );
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  assert.deepEqual(model.model.getWeights().map((w) => Array.from(w.dataSync())), weightsBefore);
  assert.equal(JSON.stringify(optimizer.getState()), stateBefore);
  tf.dispose([batch!.x, ...Object.values(batch!.labels), ...Object.values(batch!.masks)]);
  optimizer.dispose();
  model.model.dispose();
});

/**
 * A CSV experiment whose learning rate jumps 1e8-fold after the first epoch (a step
 * schedule): plain SGD at 1e6 diverges within a few steps (the output bias alone grows
 * by a factor of about 2e6 per step), while the first epoch at 0.01 is calm.
 */
function jumping(dir: string, name: string, extra: Record<string, unknown> = {}) {
  const lines = ['x1,x2,y'];
  for (let i = 0; i < 40; i++) lines.push(`${(((i * 37) % 17) / 8 - 1).toFixed(3)},${(((i * 11) % 13) / 6 - 1).toFixed(3)},${(((i * 7) % 5) - 2).toFixed(2)}`);
  writeFileSync(join(dir, `${name}.csv`), lines.join('\n') + '\n');
  return validateExperiment({
    name,
    seed: 4,
    data: { source: 'csv', path: join(dir, `${name}.csv`), features: ['x1', 'x2'], testFraction: 0.25 },
    tasks: [{ name: 'y', kind: 'regression', columns: ['y'] }],
    model: { encoder: { type: 'mlp', hidden: [8] } },
    training: { epochs: 2, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.01 }, schedule: { type: 'step', stepEpochs: 1, gamma: 1e8 } },
    ...extra,
  });
}

test('diverged after a good checkpoint: the message says so; --resume --learning-rate continues from it, recorded; config.json reproduces the resumed run', async () => {
  const config = jumping(work.dir, 'jump');
  const run = join(work.dir, 'jump');
  const quiet = { progress: false, log: () => {} };
  let message: MtlError | undefined;
  await runExperiment(config, { runDir: run, ...quiet }).catch((e) => (message = e));
  isMtlError('training.diverged', {
    path: /^step \d+ \(epoch 2\), task "y"$/,
    fix: /last checkpoint \(.*checkpoint, step 8, epoch 2, max \|w\| = [\d.e+-]+\) is intact and finite: resume from it with a lower learning rate: mtl train <experiment> --resume --learning-rate 0\.001/,
  })(message);
  // The checkpoint of the end of epoch 1 is intact, finite and small.
  const checkpoint = inspectCheckpoint(join(run, 'checkpoint'))!;
  assert.equal(checkpoint.step, 8);
  assert.ok(checkpoint.finite && checkpoint.maxAbsWeight < 10);
  const configBefore = readFileSync(join(run, 'config.json'), 'utf8');
  // Another change on resume is refused, naming it; the learning rate is allowed.
  await assert.rejects(runExperiment({ ...config, seed: 5 }, { runDir: run, resume: true, learningRate: 1e-10, ...quiet }), isMtlError('run.config_changed', { found: /seed: 4 → 5/ }));
  assert.equal(readFileSync(join(run, 'config.json'), 'utf8'), configBefore);
  const lines: string[] = [];
  const resumed = await runExperiment(config, { runDir: run, resume: true, learningRate: 1e-10, progress: false, log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => /override from step 8: training\.optimizer\.learningRate 0\.01 → 1e-10/.test(l)), lines.join('\n'));
  const saved = readConfigFile(join(run, 'config.json'));
  assert.deepEqual(saved.overrides, [{ step: 8, field: 'training.optimizer.learningRate', old: 0.01, new: 1e-10 }]);
  assert.equal(saved.training.optimizer.learningRate, 1e-10);
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(metrics.map((m) => m.learningRate), [0.01, 1e-10 * 1e8], 'epoch 1 at the old rate, epoch 2 at the new one (times the schedule)');
  // The run's config.json, overrides included, reproduces the resumed run exactly.
  const replay = await runExperiment(saved, { runDir: join(work.dir, 'replay'), ...quiet });
  assert.deepEqual(replay.multiTask!.evaluation, resumed.multiTask!.evaluation);
  // Resuming again with the experiment file (its original 0.01) keeps the override.
  const again: string[] = [];
  await runExperiment(config, { runDir: run, resume: true, progress: false, log: (l) => again.push(l) });
  assert.ok(again.some((l) => /learningRate stays 1e-10/.test(l)));
  assert.equal(readConfigFile(join(run, 'config.json')).overrides!.length, 1);
});

test('diverged before any checkpoint, and under DWA: the message says there is no checkpoint; the method never sees the NaN', async () => {
  for (const method of ['equal', 'dwa']) {
    const config = jumping(work.dir, `early-${method}`, { weighting: { method } });
    const hot = { ...config, training: { ...config.training, optimizer: { type: 'sgd' as const, learningRate: 1e6 }, schedule: { type: 'constant' as const } } };
    let message: MtlError | undefined;
    await runExperiment(hot, { runDir: join(work.dir, `early-${method}`), progress: false, log: () => {} }).catch((e) => (message = e));
    isMtlError('training.diverged', { path: /^step \d+ \(epoch 1\), task "y"$/, fix: /no checkpoint was written before the divergence: start again with a lower learning rate, e\.g\. mtl train <experiment> --force --learning-rate 100000/ })(message);
  }
});

test('an exploded checkpoint is not offered as a restart point; inspectCheckpoint reads the real weights', async () => {
  const error = new DivergenceError(12, 1, ['y'], 'loss', 'a non-finite loss: y NaN');
  const exploded = divergenceError(error, { checkpointDir: 'runs/x/checkpoint', checkpoint: { step: 10, epoch: 1, batchInEpoch: 0, maxAbsWeight: 3.2e7, finite: true }, learningRate: 0.1 });
  assert.match(exploded.fix!, /already holds weights up to \|w\| = 3\.20e\+7, not a good restart point: start again with a lower learning rate, e\.g\. mtl train <experiment> --force --learning-rate 0\.01/);
  const nonFinite = divergenceError(error, { checkpointDir: 'runs/x/checkpoint', checkpoint: { step: 10, epoch: 1, batchInEpoch: 0, maxAbsWeight: 1, finite: false }, learningRate: 0.1 });
  assert.match(nonFinite.fix!, /non-finite weights, not a good restart point/);
  assert.equal(exploded.path, 'step 12 (epoch 2), task "y"');
  // On a real checkpoint: the largest |w| of its weights.
  const run = join(work.dir, 'jump', 'checkpoint');
  const weights = readWeights(join(run, 'model'));
  const max = Math.max(...weights.flatMap((w) => Array.from(w.dataSync()).map(Math.abs)));
  weights.forEach((w) => w.dispose());
  assert.equal(inspectCheckpoint(run)!.maxAbsWeight, max);
  const contents = readCheckpoint(run);
  contents.weights.forEach((w) => w.dispose());
  assert.equal(inspectCheckpoint(run)!.step, contents.position.step);
});
