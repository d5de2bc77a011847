import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { MtlError } from '../../src/errors.js';
import { fit, formatEpochLine, type EpochRecord, type FitArgs, type StepEndInfo } from '../../src/training/fit.js';
import { MemoryRunStore } from '../../src/training/memoryRunStore.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { getWeightingMethod } from '../../src/weighting/registry.js';
import { toyData } from '../helpers.js';

/**
 * fit's callbacks (onStepEnd, onEpochEnd, an AbortSignal) and the in-memory run store:
 * what the callbacks see is what fit logs and returns, a stop ends training where it
 * says, and an interrupted run resumed from a MemoryRunStore ends exactly where an
 * uninterrupted one does (the same guarantee as a run folder's, without files).
 */

// 200 examples, batch 32: 7 batches per epoch.
const BATCHES = 7;

async function train(extra: Partial<FitArgs> = {}, methodName = 'dwa') {
  installSeededRandom(7);
  const { data, tasks } = toyData(200);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [16], dropout: 0.3 } });
  const optimizer = new Adam();
  const method = getWeightingMethod(methodName) as WeightingMethod<unknown, unknown>;
  const lines: string[] = [];
  const result = await fit({
    model, train: data, evaluation: data, method, methodOptions: method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: 7 }),
    optimizer, learningRate: 0.01, epochs: 4, batchSize: 32, seed: 7, progress: false, log: (l) => lines.push(l), ...extra,
  });
  return { model, optimizer, result, lines };
}

const weightsOf = (m: MultiTaskModel) => m.model.getWeights().map((w) => Array.from(w.dataSync()));
const dispose = (...runs: Array<{ model: MultiTaskModel; optimizer: Adam }>) => runs.forEach((r) => { r.optimizer.dispose(); r.model.model.dispose(); });

test('onEpochEnd sees each epoch record as logged and returned; returning "stop" after epoch 2 ends training with 2 records', async () => {
  const seen: EpochRecord[] = [];
  const run = await train({ onEpochEnd: (record) => { seen.push(record); return record.epoch === 1 ? 'stop' : undefined; } });
  assert.equal(run.result.history.length, 2);
  assert.equal(run.result.stoppedEarly, true);
  assert.equal(run.result.stopReason, 'callback');
  assert.equal(run.result.interrupted, false);
  assert.equal(run.result.steps, 2 * BATCHES);
  assert.deepEqual(seen, run.result.history);
  // The log's epoch lines are formatted from the very records the callback saw.
  const epochLines = run.lines.filter((l) => l.startsWith('epoch '));
  assert.deepEqual(epochLines, seen.map((r) => formatEpochLine(r, 4)));
  assert.ok(run.lines.some((l) => l === 'stopped by onEpochEnd after epoch 2'));
  dispose(run);
});

test('onStepEnd runs once per step with that step\'s losses: their epoch mean is the epoch record\'s training loss', async () => {
  const steps: StepEndInfo[] = [];
  const run = await train({ epochs: 2, onStepEnd: (info) => { steps.push(info); } });
  assert.deepEqual(steps.map((s) => s.step), Array.from({ length: 2 * BATCHES }, (_, i) => i + 1));
  assert.deepEqual(steps.map((s) => s.batch), [...Array.from({ length: BATCHES }, (_, i) => i + 1), ...Array.from({ length: BATCHES }, (_, i) => i + 1)]);
  assert.ok(steps.every((s) => s.batches === BATCHES && s.learningRate === 0.01));
  for (const record of run.result.history) {
    const ofEpoch = steps.filter((s) => s.epoch === record.epoch);
    for (const task of ['a', 'b']) {
      // Summed in step order, as fit sums them: the same float.
      const mean = ofEpoch.reduce((sum, s) => sum + s.losses[task]!, 0) / ofEpoch.length;
      assert.equal(mean, record.trainLoss[task], `epoch ${record.epoch} task ${task}`);
    }
    // The last step's weights are the epoch's.
    assert.deepEqual(ofEpoch[ofEpoch.length - 1]!.weights, record.weights);
  }
  dispose(run);
});

test('a callback that stops, an async one, and an aborted signal end training after that step, resumable', async () => {
  const byCallback = await train({ onStepEnd: async (info) => (info.step === 3 ? 'stop' : undefined) });
  assert.equal(byCallback.result.steps, 3);
  assert.equal(byCallback.result.interrupted, true);
  assert.equal(byCallback.result.stopReason, 'callback');
  assert.equal(byCallback.result.history.length, 0);
  const controller = new AbortController();
  const bySignal = await train({ signal: controller.signal, onStepEnd: (info) => { if (info.step === 9) controller.abort(); } });
  assert.equal(bySignal.result.steps, 9);
  assert.equal(bySignal.result.interrupted, true);
  assert.equal(bySignal.result.stopReason, 'signal');
  assert.equal(bySignal.result.history.length, 1);
  dispose(byCallback, bySignal);
});

test('a run paused by its signal and resumed from a MemoryRunStore ends exactly as an uninterrupted one; its log holds each epoch once', async () => {
  const straight = await train({ store: new MemoryRunStore('straight') });
  const store = new MemoryRunStore('paused');
  const controller = new AbortController();
  const first = await train({ store, signal: controller.signal, onStepEnd: (info) => { if (info.step === 10) controller.abort(); } });
  assert.equal(first.result.interrupted, true);
  dispose(first);
  assert.equal(await store.hasCheckpoint(), true);
  const resumed = await train({ store, resume: true });
  assert.equal(resumed.result.steps, straight.result.steps);
  assert.deepEqual(weightsOf(resumed.model), weightsOf(straight.model));
  assert.deepEqual(resumed.result.history.map((h) => h.trainLoss), straight.result.history.map((h) => h.trainLoss));
  const epochs = store.metricsLines().map((l) => JSON.parse(l)).filter((r) => r.type === 'epoch').map((r) => r.epoch);
  assert.deepEqual(epochs, [0, 1, 2, 3]);
  assert.ok(resumed.lines.some((l) => l.startsWith('resumed from memory://paused/checkpoint: epoch 2, batch 3, step 10')), resumed.lines.join('\n'));
  dispose(straight, resumed);
});

test('early stopping with a MemoryRunStore restores the best weights it kept; no tensor is left behind', async () => {
  installSeededRandom(7);
  const { data, tasks } = toyData(200);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [16] } });
  const optimizer = new Adam();
  const method = getWeightingMethod('equal') as WeightingMethod<unknown, unknown>;
  const before = tf.memory().numTensors;
  const store = new MemoryRunStore();
  const result = await fit({
    model, train: data, evaluation: data, method, methodOptions: {}, optimizer, learningRate: 0.05, epochs: 6, batchSize: 32, seed: 7,
    progress: false, log: () => {}, store, earlyStopping: { metric: 'loss', patience: 1, minDelta: 1e9 },
  });
  // minDelta so large that only the first epoch counts as an improvement: stop after epoch 2, restore epoch 1.
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.stopReason, 'earlyStopping');
  assert.equal(result.history.length, 2);
  assert.deepEqual(result.best?.epoch, 0);
  const best = (await store.readBest())!;
  assert.deepEqual(weightsOf(model), best.map((w) => Array.from(w.dataSync())));
  best.forEach((w) => w.dispose());
  // The optimizer's state is the only thing fit may leave (its number of tensors depends on the backend's Adam).
  optimizer.dispose();
  assert.equal(tf.memory().numTensors, before);
  model.model.dispose();
});

test('a damaged or incomplete MemoryRunStore checkpoint is refused with a coded error before the model changes', async () => {
  const store = new MemoryRunStore('damaged');
  const first = await train({ store, stopAfterSteps: 5 });
  dispose(first);
  const record = (store as unknown as { checkpoint: { weights: Array<{ values: Float32Array }> } }).checkpoint;
  const saved = record.weights[0]!.values[0]!;
  record.weights[0]!.values[0] = NaN;
  installSeededRandom(7);
  const { data, tasks } = toyData(200);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [16], dropout: 0.3 } });
  const fresh = weightsOf(model);
  const method = getWeightingMethod('dwa') as WeightingMethod<unknown, unknown>;
  const args = {
    model, train: data, method, methodOptions: method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: 7 }),
    optimizer: new Adam(), learningRate: 0.01, epochs: 4, batchSize: 32, seed: 7, progress: false, log: () => {}, store, resume: true,
  };
  const tensors = tf.memory().numTensors;
  await assert.rejects(fit(args), (e: unknown) => e instanceof MtlError && e.code === 'checkpoint.corrupt' && /weights\[0\]/.test(e.path ?? '') && /NaN/.test(e.found ?? ''));
  record.weights[0]!.values[0] = saved;
  // The metrics log lost its records: refused too, naming the log.
  await store.clearMetrics();
  await assert.rejects(fit(args), (e: unknown) => e instanceof MtlError && e.code === 'checkpoint.corrupt' && e.path === 'memory://damaged/metrics.jsonl');
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(weightsOf(model), fresh);
  args.optimizer.dispose();
  model.model.dispose();
});

test('fit refuses runDir and store together', async () => {
  await assert.rejects(train({ runDir: '/nonexistent/never-created', store: new MemoryRunStore() }), (e: unknown) => e instanceof MtlError && e.code === 'config.incompatible' && e.path === 'fit.store');
});
