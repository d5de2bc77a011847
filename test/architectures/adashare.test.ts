import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { adaShare, type AdaSharePolicy } from '../../src/architectures/adashare.js';
import { batchNormLayers } from '../../src/architectures/batchNorm.js';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { variablesOf } from '../../src/architectures/multiTaskModel.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { MtlError } from '../../src/errors.js';
import { createTask } from '../../src/tasks/createTask.js';
import { trainAdaShare } from '../../src/training/adashareTraining.js';
import { recalibrateBatchNorm } from '../../src/training/batchNormRecalibration.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { Random } from '../../src/random/random.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import {
  assertGradients, assertNoLeaks, assertOutputShapes, assertSaveLoad, assertVariableSplit, disposeRandomBatch, randomBatch, threeTasks,
} from './helpers.js';

const names = (vars: readonly tf.Variable[]) => vars.map((v) => v.name).sort();

test('AdaShare search phases: warm-up and weight phases declare the network, the policy phase only the logits', () => {
  installSeededRandom(20);
  const tasks = threeTasks();
  // Three MLP residual blocks; the last changes the width (8 → 6), so it has a projection shortcut.
  const m = adaShare({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 8, 6] } });
  assert.equal(m.blockCount, 3);
  const batch = randomBatch(tasks, [6], 16);
  for (const phase of ['warmup', 'weights'] as const) {
    m.setPhase(phase);
    assertOutputShapes(m, batch.x);
    assertVariableSplit(m);
    assertGradients(m, batch); // every block gets a gradient from the sampled (soft) policies
    assert.equal(m.auxiliaryLoss!(), null, 'no policy loss outside the policy phase');
  }
  assertNoLeaks(m, batch);
  m.setPhase('policy');
  assert.deepEqual(m.sharedVariables, []);
  for (const t of tasks) assert.deepEqual(m.taskVariables[t.name], [m.policyLogits[t.name]]);
  assertGradients(m, batch); // task losses + sparsity + sharing reach every task's logits
  const aux = m.auxiliaryLoss!()!;
  assert.ok(aux.value.dataSync()[0]! > 0);
  aux.value.dispose();
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  m.dispose();
});

test('AdaShare policy losses match hand-computed values', () => {
  installSeededRandom(21);
  const tasks = threeTasks().slice(0, 2);
  const m = adaShare({ tasks, inputShape: [4], encoder: { type: 'mlp', hidden: [4, 4] } });
  m.policyLogits.a!.assign(tf.tensor2d([[1, 0], [0, 2]]));
  m.policyLogits.b!.assign(tf.tensor2d([[3, 0], [0, 0]]));
  const ceSkip = (e: number, s: number) => -(s - Math.log(Math.exp(e) + Math.exp(s)));
  const { sparsity, sharing } = m.policyLosses();
  const expectedSparsity = (ceSkip(1, 0) + ceSkip(0, 2)) / 2 + (ceSkip(3, 0) + ceSkip(0, 0)) / 2;
  assert.ok(Math.abs(sparsity.dataSync()[0]! - expectedSparsity) < 1e-5);
  // L = 2: block 1 weighs (2 − 1)/2, block 2 weighs 0.
  assert.ok(Math.abs(sharing.dataSync()[0]! - 0.5 * Math.abs(1 - 3)) < 1e-6);
  tf.dispose([sparsity, sharing]);
  m.unlockedBlocks = 1; // curriculum: only the last block's logits count for sparsity
  const locked = m.policyLosses();
  assert.ok(Math.abs(locked.sparsity.dataSync()[0]! - (ceSkip(0, 2) + ceSkip(0, 0))) < 1e-5);
  tf.dispose([locked.sparsity, locked.sharing]);
  m.setPhase('policy');
  const aux = m.auxiliaryLoss!()!;
  const { sparsity: s1, sharing: h1 } = m.policyLosses();
  assert.ok(Math.abs(aux.value.dataSync()[0]! - (0.001 * s1.dataSync()[0]! + 0.05 * h1.dataSync()[0]!)) < 1e-6);
  tf.dispose([aux.value, s1, h1]);
  m.dispose();
});

test('AdaShare final policy: skipped blocks are excluded, the network matches the search path, save/load, no leaks', async () => {
  installSeededRandom(22);
  const tasks = threeTasks();
  const m = adaShare({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 8, 8, 6] }, hardSampling: true });
  const policy: AdaSharePolicy = { a: [true, false, false, true], b: [true, true, false, false], c: [true, true, false, false] };
  // Logits that make the hard samples equal `policy` whatever the Gumbel noise.
  for (const t of tasks) m.policyLogits[t.name]!.assign(tf.tensor2d(policy[t.name]!.flatMap((e) => (e ? [30, -30] : [-30, 30])), [4, 2]));
  const batch = randomBatch(tasks, [6], 16);
  m.setPhase('policy');
  const searched = tf.tidy(() => Object.values(m.forward(batch.x, false)).map((o) => Array.from(o.dataSync())));
  assert.deepEqual(m.selectPolicy('argmax'), policy);
  const blocks = m.model.layers.filter((l) => /^adashare_block\d$/.test(l.name)) as tf.LayersModel[];
  assert.equal(blocks.length, 4);
  m.finalize(policy, { fromScratch: false });
  const final = tf.tidy(() => Object.values(m.forward(batch.x, false)).map((o) => Array.from(o.dataSync())));
  final.forEach((values, i) => values.forEach((v, k) => assert.ok(Math.abs(v - searched[i]![k]!) < 1e-5, `task ${i}[${k}]`)));
  assert.throws(() => blocks[2]!.trainableWeights[0]!.read(), /disposed/, 'the block no task executes is disposed');
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assert.ok(!m.model.layers.includes(blocks[2]!), 'skipped block not in the final network');
  const shared = names(m.sharedVariables);
  for (const v of variablesOf(blocks[0]!)) assert.ok(shared.includes(v.name), 'block 1: executed by every task, shared');
  for (const v of variablesOf(blocks[1]!)) assert.ok(shared.includes(v.name), 'block 2: executed by b and c, shared');
  for (const v of variablesOf(blocks[3]!)) assert.ok(m.taskVariables.a!.includes(v), 'block 4: executed by a only, a\'s');
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  assert.match(m.policyTable(), /a\s+run\s+skip\s+skip\s+run\s+2\/4/);
  assert.match(m.policyTable(), /b\s+run\s+run\s+skip\s+skip\s+2\/4/);
  assert.throws(() => m.setPhase('weights'), MtlError);
  disposeRandomBatch(batch);
  const before = tf.memory().numTensors;
  m.dispose();
  assert.ok(tf.memory().numTensors < before);
});

test('AdaShare on a residual conv net: a task skipping the downsampling block keeps its projection shortcut', async () => {
  installSeededRandom(23);
  const tasks = threeTasks().slice(0, 2);
  const m = adaShare({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 2 } });
  assert.equal(m.blockCount, 2);
  const batch = randomBatch(tasks, [8, 8, 1], 4);
  m.setPhase('weights');
  assertVariableSplit(m);
  assertGradients(m, batch);
  m.finalize({ a: [true, false], b: [false, true] }); // re-initialised (from scratch)
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  disposeRandomBatch(batch);
  m.dispose();
});

test('AdaShare final network: a block shared by tasks on different input paths gets batch norm per path (own statistics), conv weights shared', async () => {
  installSeededRandom(25);
  const tasks = threeTasks().slice(0, 2);
  const m = adaShare({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 2 }, hardSampling: true });
  // a skips block 1, b executes it: block 2 (body and projection shortcut) then sees two different inputs.
  const policy: AdaSharePolicy = { a: [false, true], b: [true, true] };
  for (const t of tasks) m.policyLogits[t.name]!.assign(tf.tensor2d(policy[t.name]!.flatMap((e) => (e ? [30, -30] : [-30, 30])), [2, 2]));
  // Weights and batch-norm statistics away from their initial values (variances kept positive).
  const r = new Random(3);
  for (const w of m.model.weights) {
    const values = Float32Array.from({ length: w.shape.reduce((a, b) => a! * b!, 1)! }, () => r.normal() * 0.3);
    if (/moving_variance|gamma/.test(w.name)) values.forEach((v, k) => (values[k] = 0.5 + Math.abs(v)));
    w.write(tf.tensor(values, w.shape as number[]));
  }
  const batch = randomBatch(tasks, [8, 8, 1], 6);
  m.setPhase('policy');
  const searched = tf.tidy(() => Object.values(m.forward(batch.x, false)).map((o) => Array.from(o.dataSync())));
  const normsBefore = batchNormLayers(m.model).length;
  m.finalize(policy, { fromScratch: false });
  // The new path's batch norm starts from the first path's values: the same outputs as the search path.
  const final = tf.tidy(() => Object.values(m.forward(batch.x, false)).map((o) => Array.from(o.dataSync())));
  final.forEach((values, i) => values.forEach((v, k) => assert.ok(Math.abs(v - searched[i]![k]!) < 1e-4, `task ${i}[${k}]: ${v} vs ${searched[i]![k]}`)));
  // Block 2's body has 2 batch-norm layers and its shortcut 1: one more set for b's path.
  assert.equal(batchNormLayers(m.model).length, normsBefore + 3);
  assertVariableSplit(m);
  const block2 = m.model.layers.find((l) => l.name === 'adashare_block1') as tf.LayersModel | undefined;
  assert.equal(block2, undefined, 'a part on two paths is applied layer by layer, not as a nested model');
  const conv = (vars: readonly tf.Variable[]) => vars.filter((v) => /kernel/.test(v.name));
  const gammas = (vars: readonly tf.Variable[]) => vars.filter((v) => /gamma/.test(v.name));
  // b owns block 1 (its only user) and its own batch norm of block 2 (3 layers); a owns block 2's first-path batch norm.
  assert.equal(gammas(m.taskVariables.a!).length, 3);
  assert.equal(gammas(m.taskVariables.b!).length, 2 + 3);
  assert.equal(conv(m.sharedVariables).length, 1 + 3, 'the stem and block 2\'s three convolutions are shared');
  assertGradients(m, batch);
  // Recalibrated on data, each path's batch norm holds the statistics of its own input.
  const x = Float32Array.from({ length: 16 * 64 }, () => r.normal());
  const data = new ArrayDataset({ data: x, shape: [16, 8, 8, 1] }, { a: { values: new Float32Array(16), width: 1 }, b: { values: new Float32Array(32), width: 2 } });
  recalibrateBatchNorm(m, data, { batches: 2, batchSize: 8, seed: 1 });
  const means = batchNormLayers(m.model).map((l) => Array.from(l.getWeights()[2]!.dataSync()).join(','));
  assert.equal(new Set(means).size, means.length, 'no two batch-norm layers hold the same statistics');
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  const network = m.model;
  const before = tf.memory().numTensors;
  m.dispose();
  assert.ok(tf.memory().numTensors < before);
  const live = network.weights.filter((w) => {
    try {
      w.read();
      return true;
    } catch {
      return false;
    }
  });
  assert.deepEqual(live.map((w) => w.name), [], 'every weight disposed, per-path batch norm included');
});

test('AdaShare with every block kept is the hard-sharing network: same parameters, and with the same weights the same outputs', () => {
  installSeededRandom(24);
  const tasks = threeTasks().slice(0, 2);
  const encoder = { type: 'resnet' as const, width: 4, stages: 2 };
  const hard = hardSharing({ tasks, inputShape: [8, 8, 1], encoder });
  const ada = adaShare({ tasks, inputShape: [8, 8, 1], encoder });
  ada.finalize({ a: [true, true], b: [true, true] });
  assert.equal(ada.parameterCount(), hard.parameterCount());
  // Pair the weights by layer kind and creation order (`conv2d_Conv2D13/kernel`: kind, counter, weight).
  const key = (name: string) => {
    const [, kind, counter, rest] = /^(.*?)(\d+)\/(.+)$/.exec(name)!;
    return { kind: `${kind}/${rest}`, counter: Number(counter) };
  };
  const ordered = (weights: tf.LayerVariable[]) =>
    [...weights].sort((x, y) => {
      const [a, b] = [key(x.name), key(y.name)];
      return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.counter - b.counter;
    });
  const hardWeights = ordered(hard.model.weights);
  const adaWeights = ordered(ada.model.weights);
  assert.deepEqual(adaWeights.map((w) => [key(w.name).kind, w.shape]), hardWeights.map((w) => [key(w.name).kind, w.shape]));
  adaWeights.forEach((w, i) => w.write(hardWeights[i]!.read().clone()));
  const batch = randomBatch(tasks, [8, 8, 1], 6);
  for (const training of [false, true]) {
    const [h, a] = tf.tidy(() => [hard, ada].map((m) => Object.values(m.forward(batch.x, training)).map((o) => Array.from(o.dataSync()))));
    a!.forEach((values, t) => values.forEach((v, k) => assert.ok(Math.abs(v - h![t]![k]!) < 1e-5, `training ${training}, task ${t}[${k}]: ${v} vs ${h![t]![k]}`)));
  }
  disposeRandomBatch(batch);
  ada.dispose();
  hard.model.dispose();
});

test('AdaShare refuses encoders without residual blocks and bad policies', () => {
  const tasks = threeTasks();
  assert.throws(() => adaShare({ tasks, inputShape: [28, 28, 1], encoder: { type: 'lenet' } }), (e: unknown) => e instanceof MtlError && e.path === 'model.encoder.type');
  assert.throws(() => adaShare({ tasks, inputShape: [6], encoder: { type: 'resnet' } }), MtlError);
  assert.throws(() => adaShare({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4] }, temperature: 0 }), /temperature/);
  const m = adaShare({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4, 4] } });
  assert.throws(() => m.finalize({ a: [true], b: [true, true], c: [true, true] }), /policy\.a/);
  m.dispose();
});

test('AdaShare learns to skip more blocks for a linear task than for a task that needs depth', () => {
  // Task "easy" is a linear function of the input (the stem and a linear head suffice);
  // task "hard" is x0·x1·x2, which needs the residual blocks. Two splits of 512 rows each,
  // so the policy phases measure held-out loss rather than overfitting.
  installSeededRandom(1);
  const r = new Random(1);
  const n = 1024;
  const d = 4;
  const x = new Float32Array(n * d).map(() => r.normal());
  const easy = new Float32Array(n);
  const hard = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [x0, x1, x2] = [x[i * d]!, x[i * d + 1]!, x[i * d + 2]!];
    easy[i] = x0 - 0.5 * x1 + 0.25 * x2;
    hard[i] = x0 * x1 * x2;
  }
  const all = new ArrayDataset({ data: x, shape: [n, d] }, { easy: { values: easy, width: 1 }, hard: { values: hard, width: 1 } });
  const rows = Array.from({ length: n }, (_, i) => i);
  const tasks = [createTask({ name: 'easy', kind: 'regression' }), createTask({ name: 'hard', kind: 'regression' })];
  const before = tf.memory().numTensors;
  const model = adaShare({ tasks, inputShape: [d], encoder: { type: 'mlp', hidden: [12, 12, 12] } });
  const optimizer = new Adam();
  const result = trainAdaShare({
    model,
    train: all.subset(rows.filter((i) => i % 2 === 0)),
    policyData: all.subset(rows.filter((i) => i % 2 === 1)),
    method: equalWeighting as WeightingMethod<unknown, unknown>,
    methodOptions: {},
    optimizer,
    learningRate: 0.01,
    batchSize: 128,
    warmupEpochs: 5,
    searchEpochs: 20,
    curriculumSpeed: 1,
    policyLearningRate: 0.03,
    retrainEpochs: 1,
    seed: 1,
  });
  const skipped = (t: string) => result.policy[t]!.filter((e) => !e).length;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(
    skipped('easy') > skipped('hard'),
    `easy skips ${skipped('easy')} blocks, hard ${skipped('hard')}:\n${result.table}\n${JSON.stringify(result.executeProbabilities)}`,
  );
  assert.ok(mean(result.executeProbabilities.easy!) < mean(result.executeProbabilities.hard!));
  // The schedule ran: warm-up, 20 weight + 20 policy phases with τ decaying, one re-training pass.
  assert.deepEqual(
    ['warmup', 'weights', 'policy', 'retrain'].map((p) => result.history.filter((h) => h.phase === p).length),
    [5, 20, 20, 1],
  );
  const policyPhases = result.history.filter((h) => h.phase === 'policy');
  assert.ok(Math.abs(policyPhases[19]!.temperature - 5 * 0.965 ** 19) < 1e-9);
  assert.deepEqual(policyPhases.slice(0, 4).map((h) => h.unlockedBlocks), [1, 2, 3, 3], 'curriculum unlocks one block per epoch');
  assert.ok(Number.isFinite(result.history.at(-1)!.losses.hard));
  assert.match(result.table, /^AdaShare policy/);
  model.dispose();
  optimizer.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind once the model and optimizer are disposed');
});
