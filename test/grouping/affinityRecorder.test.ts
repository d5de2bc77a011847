import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { ArrayDataset, disposeBatch, type Batch } from '../../src/data/dataset.js';
import { MtlError } from '../../src/errors.js';
import { AffinityRecorder } from '../../src/grouping/affinityRecorder.js';
import { createTask } from '../../src/tasks/createTask.js';
import { maskedMeanLoss } from '../../src/tasks/losses.js';
import { fit, type FitArgs } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import type { Optimizer } from '../../src/training/optimizers/optimizer.js';
import { Sgd } from '../../src/training/optimizers/sgd.js';
import { Random } from '../../src/random/random.js';
import { installSeededRandom, seededRandomState } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { toyData } from '../helpers.js';

const quiet = { progress: false, log: () => {} };
const weightsOf = (m: MultiTaskModel) => m.model.getWeights().map((w) => Array.from(w.dataSync()));
/** An optimizer's state by position (two models built one after the other have different variable names). */
const stateOf = (o: Optimizer) => {
  const s = o.getState();
  return { steps: Object.values(s.steps), slots: Object.values(s.slots).map((v) => Object.fromEntries(Object.entries(v).map(([n, x]) => [n, Array.from(x.values)]))) };
};

/** Three tasks on 8 features: a and b read the same direction, c the opposite one. */
function threeTasks(n = 192, seed = 5) {
  const r = new Random(seed);
  const d = 8;
  const x = new Float32Array(n * d).map(() => r.normal());
  const ya = new Float32Array(n);
  const yb = new Float32Array(n);
  const yc = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = x[i * d]! + 0.5 * x[i * d + 1]!;
    ya[i] = s + 0.1 * r.normal();
    yb[i] = 0.8 * s + 0.1 * r.normal();
    yc[i] = Math.tanh(x[i * d + 2]! - x[i * d + 3]!) + 0.1 * r.normal();
  }
  const data = new ArrayDataset({ data: x, shape: [n, d] }, { a: { values: ya, width: 1 }, b: { values: yb, width: 1 }, c: { values: yc, width: 1 } }, 'three');
  const tasks = ['a', 'b', 'c'].map((name) => createTask({ name, kind: 'regression' }));
  return { data, tasks };
}

async function train(optimizer: Optimizer, recorder?: AffinityRecorder, extra: Partial<FitArgs> = {}) {
  installSeededRandom(11);
  const { data, tasks } = toyData(160);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [12, 8], dropout: 0.3 } });
  const result = await fit({
    model, train: data, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, optimizer,
    learningRate: 0.02, epochs: 3, batchSize: 32, seed: 11, ...quiet, ...(recorder ? { beforeStep: recorder.beforeStep } : {}), ...extra,
  });
  return { model, result };
}

test('recording affinity leaves the training trajectory unchanged, bit for bit (Adam, SGD with momentum; dropout, a task with missing labels)', async () => {
  for (const make of [() => new Adam(), () => new Sgd({ momentum: 0.9, nesterov: true })]) {
    const plainOptimizer = make();
    const plain = await train(plainOptimizer);
    const plainRandom = seededRandomState();
    const recorder = new AffinityRecorder({ every: 2 });
    const recordedOptimizer = make();
    const recorded = await train(recordedOptimizer, recorder);
    assert.deepEqual(weightsOf(recorded.model), weightsOf(plain.model), `${plainOptimizer.type}: weights`);
    assert.deepEqual(stateOf(recordedOptimizer), stateOf(plainOptimizer), `${plainOptimizer.type}: optimizer state`);
    assert.deepEqual(seededRandomState(), plainRandom, `${plainOptimizer.type}: random stream`);
    assert.deepEqual(recorded.result.history.map((h) => h.trainLoss), plain.result.history.map((h) => h.trainLoss));
    const r = recorder.result();
    // 5 batches per epoch, 15 steps: steps 0, 2, …, 14 recorded.
    assert.equal(r.records, 8);
    assert.deepEqual(r.epochs.map((e) => e.records), [3, 2, 3]);
    assert.equal(r.optimizer, plainOptimizer.type);
    for (const row of r.affinity) for (const v of row) assert.ok(v !== null && Number.isFinite(v));
    for (const m of [plain.model, recorded.model]) m.model.dispose();
    plainOptimizer.dispose();
    recordedOptimizer.dispose();
  }
});

test('a network with batch norm: its moving statistics are put back too, and the trajectory is unchanged', async () => {
  const r = new Random(9);
  const n = 48;
  const x = new Float32Array(n * 8 * 8).map(() => r.next());
  const label = (i: number, k: number) => x[i * 64 + k]! + x[i * 64 + 63 - k]!;
  const data = new ArrayDataset(
    { data: x, shape: [n, 8, 8, 1] },
    { a: { values: Float32Array.from({ length: n }, (_, i) => label(i, 0)), width: 1 }, b: { values: Float32Array.from({ length: n }, (_, i) => label(i, 5)), width: 1 } },
    'images',
  );
  const tasks = ['a', 'b'].map((name) => createTask({ name, kind: 'regression' }));
  const run = async (recorder?: AffinityRecorder) => {
    installSeededRandom(4);
    const model = hardSharing({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 1, blocksPerStage: 1 } });
    const optimizer = new Adam();
    await fit({
      model, train: data, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, optimizer, learningRate: 0.01,
      epochs: 2, batchSize: 16, seed: 4, batchNormRecalibration: 0, ...quiet, ...(recorder ? { beforeStep: recorder.beforeStep } : {}),
    });
    const weights = weightsOf(model);
    model.model.dispose();
    optimizer.dispose();
    return weights;
  };
  const recorder = new AffinityRecorder({ every: 1 });
  assert.deepEqual(await run(recorder), await run());
  assert.equal(recorder.result().records, 6);
});

/** A model, an optimizer that has taken a few steps, and a batch. */
async function prepared(optimizer: Optimizer) {
  installSeededRandom(3);
  const { data, tasks } = threeTasks();
  const model = hardSharing({ tasks, inputShape: [8], encoder: { type: 'mlp', hidden: [6] } });
  await fit({ model, train: data, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, optimizer, learningRate: 0.05, epochs: 1, batchSize: 64, seed: 3, ...quiet });
  const batch = data.batches({ batchSize: 64 }).next().value as Batch;
  return { model, tasks, batch };
}

function lossesAt(model: MultiTaskModel, batch: Batch): number[] {
  return tf.tidy(() => {
    const out = model.forward(batch.x, true);
    return model.tasks.map((t) => maskedMeanLoss(t.exampleLosses(out[t.name]!, batch.labels[t.name]!), batch.masks[t.name]!).dataSync()[0]!);
  });
}

/** Gradient of task i's loss on the shared variables, computed independently of the recorder. */
function gradientOf(model: MultiTaskModel, batch: Batch, i: number): tf.Tensor[] {
  const task = model.tasks[i]!;
  const shared = [...model.sharedVariables];
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(batch.x, true);
    return maskedMeanLoss(task.exampleLosses(out[task.name]!, batch.labels[task.name]!), batch.masks[task.name]!);
  }, shared);
  value.dispose();
  return shared.map((v) => grads[v.name]!);
}

/** Z_{i→j} by hand: move the shared variables by `update(g_i)`, measure, put them back. */
function manualAffinity(model: MultiTaskModel, batch: Batch, update: (v: tf.Variable, g: tf.Tensor, k: number) => tf.Tensor): number[][] {
  const shared = [...model.sharedVariables];
  const before = lossesAt(model, batch);
  return model.tasks.map((_, i) => {
    const grads = gradientOf(model, batch, i);
    const saved = shared.map((v) => tf.clone(v));
    shared.forEach((v, k) => v.assign(tf.tidy(() => update(v, grads[k]!, k))));
    const after = lossesAt(model, batch);
    shared.forEach((v, k) => v.assign(saved[k]!));
    tf.dispose([...saved, ...grads]);
    return after.map((a, j) => 1 - a / before[j]!);
  });
}

test('Z with plain SGD is 1 − L_j(θ − lr·g_i)/L_j(θ); with Adam it uses the optimizer\'s moments and bias correction; cosines match', async () => {
  const lr = 0.05;
  // SGD without momentum: the lookahead is θ − lr·g.
  {
    const optimizer = new Sgd();
    const { model, batch } = await prepared(optimizer);
    const expected = manualAffinity(model, batch, (v, g) => tf.sub(v, tf.mul(g, lr)));
    const recorder = new AffinityRecorder({ every: 1 });
    const tensors = tf.memory().numTensors;
    const weights = weightsOf(model);
    recorder.beforeStep({ batch, model, optimizer, learningRate: lr, step: 0, epoch: 0 });
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    assert.deepEqual(weightsOf(model), weights, 'weights put back exactly');
    const r = recorder.result();
    expected.forEach((row, i) => row.forEach((z, j) => assert.ok(Math.abs(r.affinity[i]![j]! - z) < 1e-5, `Z ${i}→${j}: ${r.affinity[i]![j]} vs ${z}`)));
    // a and b read the same direction: they help each other.
    assert.ok(r.affinity[0]![1]! > 0 && r.affinity[1]![0]! > 0);
    // Cosines from independently computed gradients.
    const g = model.tasks.map((_, i) => gradientOf(model, batch, i));
    const flat = g.map((gs) => tf.tidy(() => tf.concat(gs.map((x) => tf.reshape(x, [-1]))).dataSync()));
    const cos = (a: Float32Array | Int32Array | Uint8Array, b: typeof a) => {
      let ab = 0, aa = 0, bb = 0;
      for (let k = 0; k < a.length; k++) { ab += a[k]! * b[k]!; aa += a[k]! * a[k]!; bb += b[k]! * b[k]!; }
      return ab / Math.sqrt(aa * bb);
    };
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(r.cosine[i]![j]! - cos(flat[i]!, flat[j]!)) < 1e-5);
    g.forEach((gs) => tf.dispose(gs));
    disposeBatch(batch);
    model.model.dispose();
    optimizer.dispose();
  }
  // Adam after some steps: θ − lr·m̂/(√v̂ + ε) with the moments updated by g_i, at each variable's own step count.
  {
    const optimizer = new Adam();
    const { model, batch } = await prepared(optimizer);
    const state = optimizer.getState();
    const shared = [...model.sharedVariables];
    const expected = manualAffinity(model, batch, (v, g) => {
      const slots = state.slots[v.name]!;
      const t = state.steps[v.name]! + 1;
      const m = tf.add(tf.mul(tf.tensor(slots.m!.values, slots.m!.shape), 0.9), tf.mul(g, 0.1));
      const s = tf.add(tf.mul(tf.tensor(slots.v!.values, slots.v!.shape), 0.999), tf.mul(tf.square(g), 0.001));
      const mHat = tf.div(m, 1 - 0.9 ** t);
      const vHat = tf.div(s, 1 - 0.999 ** t);
      return tf.sub(v, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), 1e-8)), lr));
    });
    const sgdLike = manualAffinity(model, batch, (v, g) => tf.sub(v, tf.mul(g, lr)));
    const recorder = new AffinityRecorder({ every: 1 });
    const before = JSON.stringify(stateOf(optimizer));
    recorder.beforeStep({ batch, model, optimizer, learningRate: lr, step: 0, epoch: 0 });
    assert.equal(JSON.stringify(stateOf(optimizer)), before, 'optimizer state put back exactly');
    const r = recorder.result();
    let differs = false;
    expected.forEach((row, i) =>
      row.forEach((z, j) => {
        assert.ok(Math.abs(r.affinity[i]![j]! - z) < 1e-4, `Adam Z ${i}→${j}: ${r.affinity[i]![j]} vs ${z}`);
        if (Math.abs(sgdLike[i]![j]! - z) > 1e-3) differs = true;
      }),
    );
    assert.ok(differs, 'the Adam lookahead is not the SGD one');
    assert.equal(shared.length > 0, true);
    disposeBatch(batch);
    model.model.dispose();
    optimizer.dispose();
  }
});

test('a step with a task missing from the batch: that task is left out of the averages there; the first step leaves no optimizer slots behind', async () => {
  installSeededRandom(2);
  const { data, tasks } = threeTasks(64);
  const mask = new Uint8Array(64);
  const partial = new ArrayDataset(data.features, { ...data.targets, c: { ...data.targets.c!, values: new Float32Array(64), mask } }, 'partial');
  const model = hardSharing({ tasks, inputShape: [8], encoder: { type: 'mlp', hidden: [4] } });
  const optimizer = new Adam();
  const batch = partial.batches({ batchSize: 64 }).next().value as Batch;
  const recorder = new AffinityRecorder({ every: 1 });
  recorder.beforeStep({ batch, model, optimizer, learningRate: 0.01, step: 0, epoch: 0 });
  assert.deepEqual(optimizer.getState(), { steps: {}, slots: {} }, 'no slot created by the lookahead survives');
  // (The first update may leave the optimizer's kept constants, as a real step would.)
  const tensors = tf.memory().numTensors;
  recorder.beforeStep({ batch, model, optimizer, learningRate: 0.01, step: 1, epoch: 0 });
  assert.equal(tf.memory().numTensors, tensors);
  const r = recorder.result();
  assert.equal(r.affinity[2]![0], null);
  assert.equal(r.affinity[0]![2], null);
  assert.ok(r.affinity[0]![1] !== null);
  assert.deepEqual(r.counts, [[2, 2, 0], [2, 2, 0], [0, 0, 0]]);
  disposeBatch(batch);
  model.model.dispose();
  optimizer.dispose();
});

test('bad input: every < 1; an architecture without shared parameters', async () => {
  assert.throws(() => new AffinityRecorder({ every: 0 }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.bad_option');
  const { softSharing } = await import('../../src/architectures/softSharing.js');
  installSeededRandom(1);
  const { data, tasks } = threeTasks(32);
  const model = softSharing({ tasks, inputShape: [8], encoder: { type: 'mlp', hidden: [4] } });
  const batch = data.batches({ batchSize: 32 }).next().value as Batch;
  const recorder = new AffinityRecorder();
  assert.throws(
    () => recorder.beforeStep({ batch, model, optimizer: new Adam(), learningRate: 0.01, step: 0, epoch: 0 }),
    (e: unknown) => e instanceof MtlError && e.code === 'grouping.no_shared_parameters',
  );
  disposeBatch(batch);
  model.model.dispose();
});
