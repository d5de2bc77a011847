import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { fit, type FitArgs } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { getWeightingMethod } from '../../src/weighting/registry.js';
import { toyData } from '../helpers.js';

const quiet = { progress: false, log: () => {} };

async function train(runDir: string | undefined, extra: Partial<FitArgs> = {}) {
  installSeededRandom(7);
  const { data, tasks } = toyData(200);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [16], dropout: 0.3 } });
  const optimizer = new Adam();
  const result = await fit({
    model, train: data, evaluation: data, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {},
    optimizer, learningRate: 0.01, epochs: 3, batchSize: 32, seed: 7, ...(runDir ? { runDir } : {}), ...quiet, ...extra,
  });
  return { model, optimizer, result };
}

const weightsOf = (m: { model: tf.LayersModel }) => m.model.getWeights().map((w) => Array.from(w.dataSync()));

test('a run is reproducible from its seed', async () => {
  const a = await train(undefined);
  const b = await train(undefined);
  assert.deepEqual(weightsOf(a.model), weightsOf(b.model));
  assert.deepEqual(a.result.history.map((h) => h.trainLoss), b.result.history.map((h) => h.trainLoss));
  for (const r of [a, b]) { r.optimizer.dispose(); r.model.model.dispose(); }
});

test('checkpoint + resume mid-epoch gives exactly the uninterrupted result', async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'mtl-fit-'));
  const dirB = mkdtempSync(join(tmpdir(), 'mtl-fit-'));
  try {
    const straight = await train(dirA);
    // Killed after 10 steps (7 batches per epoch: mid second epoch), then resumed in a fresh model.
    const first = await train(dirB, { stopAfterSteps: 10 });
    assert.equal(first.result.interrupted, true);
    first.optimizer.dispose();
    first.model.model.dispose();
    const resumed = await train(dirB, { resume: true });
    assert.equal(resumed.result.steps, straight.result.steps);
    assert.deepEqual(weightsOf(resumed.model), weightsOf(straight.model));
    assert.deepEqual(resumed.result.history.map((h) => h.trainLoss), straight.result.history.map((h) => h.trainLoss));
    // metrics.jsonl holds each epoch once.
    const lines = readFileSync(join(dirB, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch), [0, 1, 2]);
    for (const r of [straight, resumed]) { r.optimizer.dispose(); r.model.model.dispose(); }
  } finally {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test('checkpoint + resume is exact for methods whose state holds Float64Array rows (DB-MTL, MoCo, ExcessMTL)', async () => {
  for (const name of ['db-mtl', 'moco', 'excess-mtl']) {
    const method = getWeightingMethod(name) as WeightingMethod<unknown, unknown>;
    const methodOptions = method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: 7 });
    const dirA = mkdtempSync(join(tmpdir(), 'mtl-fit-'));
    const dirB = mkdtempSync(join(tmpdir(), 'mtl-fit-'));
    try {
      const straight = await train(dirA, { method, methodOptions });
      const first = await train(dirB, { method, methodOptions, stopAfterSteps: 10 });
      first.optimizer.dispose();
      first.model.model.dispose();
      const saved = JSON.parse(readFileSync(join(dirB, 'checkpoint', 'state.json'), 'utf8'));
      assert.ok(JSON.stringify(saved.methodState).includes('"$float64"'), `${name}: rows saved as base64 Float64`);
      const resumed = await train(dirB, { method, methodOptions, resume: true });
      assert.deepEqual(weightsOf(resumed.model), weightsOf(straight.model), name);
      assert.deepEqual(resumed.result.history.map((h) => h.trainLoss), straight.result.history.map((h) => h.trainLoss), name);
      for (const r of [straight, resumed]) { r.optimizer.dispose(); r.model.model.dispose(); }
    } finally {
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  }
});

test('early stopping stops after `patience` epochs without improvement and restores the best weights', async () => {
  const r = await train(undefined, { epochs: 30, learningRate: 0.05, earlyStopping: { metric: 'b/mse', patience: 2, minDelta: 10 } });
  // With minDelta 10 nothing after the first epoch counts as an improvement.
  assert.equal(r.result.stoppedEarly, true);
  assert.equal(r.result.history.length, 3);
  assert.equal(r.result.best!.epoch, 0);
  assert.equal(r.result.evaluation!.b!.metrics.mse, r.result.history[0]!.evaluation!.b!.metrics.mse);
  r.optimizer.dispose();
  r.model.model.dispose();
});

test('memory stays flat across epochs of fit', async () => {
  const r1 = await train(undefined, { epochs: 1 });
  const after1 = tf.memory().numTensors;
  r1.optimizer.dispose(); r1.model.model.dispose();
  const r2 = await train(undefined, { epochs: 6 });
  assert.equal(tf.memory().numTensors, after1, 'a longer run holds no more tensors');
  r2.optimizer.dispose(); r2.model.model.dispose();
});

test('diagnostics are logged every N steps for a method that needs the gradient rows (fit asks for the Gramian then)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-fit-'));
  try {
    const { weightingMethods } = await import('../../src/weighting/registry.js');
    const method = weightingMethods['graddrop']! as WeightingMethod<unknown, unknown>;
    const r = await train(dir, { method, methodOptions: method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: 7 }), gradientMode: 'parameters', diagnosticsEvery: 3 });
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = lines.filter((l) => l.type === 'diagnostics').map((l) => l.step);
    assert.deepEqual(steps, Array.from({ length: Math.floor(r.result.steps / 3) }, (_, i) => 3 * (i + 1)));
    r.optimizer.dispose();
    r.model.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
