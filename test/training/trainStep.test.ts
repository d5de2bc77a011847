import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { ArrayDataset, disposeBatch } from '../../src/data/dataset.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { Sgd } from '../../src/training/optimizers/sgd.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { trainStep } from '../../src/training/trainStep.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { toyData } from '../helpers.js';
import { assertClose } from '../linalg/assertions.js';

const method = equalWeighting as WeightingMethod<unknown, unknown>;

test('a task with no label in the batch gets no update and its optimizer state is untouched', () => {
  installSeededRandom(1);
  const { data, tasks } = toyData(64);
  // Make task b unlabelled everywhere in the first 32 rows.
  const mask = new Uint8Array(64).fill(1);
  mask.fill(0, 0, 32);
  const d = new ArrayDataset(data.features, { a: data.targets.a!, b: { ...data.targets.b!, mask } });
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8] } });
  const optimizer = new Adam();
  const headB = model.taskVariables.b!;
  const headA = model.taskVariables.a!;
  const beforeB = headB.map((v) => v.dataSync().slice());
  const beforeA = headA.map((v) => v.dataSync().slice());
  const beforeShared = model.sharedVariables.map((v) => v.dataSync().slice());
  const [batch] = [...d.batches({ batchSize: 32 })]; // rows 0..31: no label for b
  assert.equal(batch!.labelled.b, 0);
  const result = trainStep(batch!, {
    model, optimizer, method, methodOptions: {}, methodState: null, lastWeights: [1, 1],
    learningRate: 0.01, gradientMode: 'parameters', epoch: 0, step: 0,
  });
  disposeBatch(batch!);
  assert.deepEqual(Object.keys(result.losses), ['a']);
  headB.forEach((v, i) => assert.deepEqual(v.dataSync(), beforeB[i], 'head b unchanged'));
  headB.forEach((v) => assert.equal(optimizer.stepsOf(v), 0, 'no optimizer state for head b'));
  assert.equal(optimizer.getState().slots[headB[0]!.name], undefined);
  assert.ok(headA.some((v, i) => v.dataSync().some((x, k) => x !== beforeA[i]![k])), 'head a moved');
  assert.ok(model.sharedVariables.some((v, i) => v.dataSync().some((x, k) => x !== beforeShared[i]![k])), 'encoder moved');
  headA.forEach((v) => assert.equal(optimizer.stepsOf(v), 1));
  optimizer.dispose();
  model.model.dispose();
});

test('the combined update of a loss step equals the gradient of Σ w_t L_t', () => {
  installSeededRandom(2);
  const { data, tasks } = toyData(32);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4] } });
  const [batch] = [...data.batches({ batchSize: 32 })];
  // Reference gradient of 2·L_a + 0.5·L_b computed directly.
  const vars = [...model.sharedVariables, ...model.taskVariables.a!, ...model.taskVariables.b!];
  const before = vars.map((v) => v.dataSync().slice());
  const { grads, value } = tf.variableGrads(() => {
    const out = model.forward(batch!.x, false);
    const la = tf.div(tf.sum(tasks[0]!.exampleLosses(out.a!, batch!.labels.a!)), 32);
    const lb = tf.div(tf.sum(tf.mul(tasks[1]!.exampleLosses(out.b!, batch!.labels.b!), batch!.masks.b!)), tf.sum(batch!.masks.b!));
    return tf.add(tf.mul(la, 2), tf.mul(lb, 0.5)) as tf.Scalar;
  }, vars);
  value.dispose();
  const fixed: WeightingMethod<unknown, unknown> = { ...method, update: (i, s) => ({ weights: [2, 0.5], state: s }) };
  const optimizer = new Sgd();
  trainStep(batch!, {
    model, optimizer, method: fixed, methodOptions: {}, methodState: null, lastWeights: [1, 1],
    learningRate: 1, gradientMode: 'parameters', epoch: 0, step: 0,
  });
  vars.forEach((v, i) => {
    const expected = before[i]!.map((x, k) => x - grads[v.name]!.dataSync()[k]!);
    const got = v.dataSync();
    expected.forEach((e, k) => assert.ok(Math.abs(e - got[k]!) < 1e-5, `${v.name}[${k}]: ${got[k]} vs ${e}`));
  });
  tf.dispose(Object.values(grads));
  disposeBatch(batch!);
  model.model.dispose();
});

test('no tensor leaks over many training steps', () => {
  installSeededRandom(3);
  const { data, tasks } = toyData(128);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [16], dropout: 0.2 } });
  const optimizer = new Adam();
  let methodState: unknown = null;
  const run = (steps: number) => {
    for (let s = 0; s < steps; s++) {
      for (const batch of data.batches({ batchSize: 32 })) {
        methodState = trainStep(batch, {
          model, optimizer, method, methodOptions: {}, methodState, lastWeights: [1, 1],
          learningRate: 0.01, clipNorm: 1, gradientMode: 'parameters', epoch: 0, step: s,
        }).methodState;
        disposeBatch(batch);
      }
    }
  };
  run(2); // optimizer slots are created on the first steps
  const baseline = tf.memory().numTensors;
  run(50);
  assert.equal(tf.memory().numTensors, baseline);
  optimizer.dispose();
  model.model.dispose();
});

test('gradient methods add the architecture auxiliary loss gradient unweighted', async () => {
  const { weightingMethods } = await import('../../src/weighting/registry.js');
  installSeededRandom(4);
  const { data, tasks } = toyData(32);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4] } });
  // An auxiliary loss of ½‖θ‖² on the first shared kernel: its gradient is θ itself.
  const kernel = model.sharedVariables[0]!;
  const withAux = { ...model, auxiliaryLoss: () => ({ name: 'l2', value: tf.mul(tf.sum(tf.square(kernel)), 0.5) as tf.Scalar }) };
  const [batch] = [...data.batches({ batchSize: 32 })];
  const all = [...model.sharedVariables, ...model.taskVariables.a!, ...model.taskVariables.b!];
  const run = (m: typeof model) => {
    const saved = all.map((v) => v.dataSync().slice());
    const copy = kernel.dataSync().slice();
    const optimizer = new Sgd();
    const r = trainStep(batch!, {
      model: m, optimizer, method: weightingMethods.mgda as WeightingMethod<unknown, unknown>, methodOptions: weightingMethods.mgda!.resolveOptions({}, { taskNames: ['a', 'b'], seed: 0 }),
      methodState: null, lastWeights: [1, 1], learningRate: 1, gradientMode: 'parameters', epoch: 0, step: 0,
    });
    const moved = kernel.dataSync().map((v, i) => copy[i]! - v);
    all.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(saved[i]!, v.shape))));
    optimizer.dispose();
    return { moved, r, before: copy };
  };
  const plain = run(model);
  const aux = run(withAux);
  assert.equal(aux.r.auxiliary?.name, 'l2');
  // The extra step is exactly lr · θ.
  aux.moved.forEach((m, i) => assert.ok(Math.abs(m - plain.moved[i]! - aux.before[i]!) < 1e-5, `${m} vs ${plain.moved[i]! + aux.before[i]!}`));
  disposeBatch(batch!);
  model.model.dispose();
});

test('a gradient method that throws mid-step leaves no tensors behind, and the next step works', () => {
  installSeededRandom(2);
  const { data, tasks } = toyData(32);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8] } });
  const optimizer = new Adam();
  const [batch] = [...data.batches({ batchSize: 32 })];
  const failing = {
    ...(equalWeighting as WeightingMethod<unknown, unknown>),
    name: 'failing',
    needs: 'gramian',
    gradientModes: ['parameters', 'representation'],
    update: () => {
      throw new Error('method failed');
    },
  } as WeightingMethod<unknown, unknown>;
  for (const gradientMode of ['parameters', 'representation'] as const) {
    const start = tf.memory().numTensors;
    assert.throws(
      () => trainStep(batch!, { model, optimizer, method: failing, methodOptions: {}, methodState: {}, lastWeights: [1, 1], learningRate: 0.01, gradientMode, epoch: 0, step: 0 }),
      /method failed/,
    );
    assert.equal(tf.memory().numTensors, start, `${gradientMode}: tensors left after the failed step`);
  }
  // The engine is not left recording: an ordinary step still runs and frees its tape.
  const start = tf.memory().numTensors;
  trainStep(batch!, { model, optimizer, method, methodOptions: {}, methodState: {}, lastWeights: [1, 1], learningRate: 0.01, gradientMode: 'parameters', epoch: 0, step: 1 });
  const slots = Object.values(optimizer.getState().slots).reduce((s, v) => s + Object.keys(v).length, 0);
  assert.ok(tf.memory().numTensors - start <= slots + 8, 'only optimizer state was added');
  disposeBatch(batch!);
  optimizer.dispose();
  model.model.dispose();
});

test('a `gradients` method gets the rows and no Gramian; returnGramian adds G Gᵀ of those rows to the result', () => {
  installSeededRandom(5);
  const { data, tasks } = toyData(32);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8] } });
  const optimizer = new Adam();
  const [batch] = [...data.batches({ batchSize: 32 })];
  const seen: { gradients?: readonly Float32Array[]; gramian?: unknown }[] = [];
  const rowsMethod = {
    ...(equalWeighting as WeightingMethod<unknown, unknown>),
    name: 'rows',
    needs: 'gradients',
    gradientModes: ['parameters', 'representation'],
    update: (input, state) => {
      seen.push({ gradients: input.gradients?.map((r) => r.slice()), gramian: input.gramian });
      return { weights: [1, 1], state };
    },
  } as WeightingMethod<unknown, unknown>;
  for (const gradientMode of ['parameters', 'representation'] as const) {
    for (const returnGramian of [false, true]) {
      seen.length = 0;
      const step = (n: number) => trainStep(batch!, {
        model, optimizer, method: rowsMethod, methodOptions: {}, methodState: null, lastWeights: [1, 1],
        learningRate: 0.01, gradientMode, epoch: 0, step: n, returnGramian,
      });
      const start = tf.memory().numTensors;
      const result = step(0);
      const slots = Object.values(optimizer.getState().slots).reduce((s, v) => s + Object.keys(v).length, 0);
      // Optimizer slots, plus the composite Adam's kept constants where the backend has no fused update (wasm).
      assert.ok(tf.memory().numTensors - start <= slots + 8, `${gradientMode}: only optimizer state was added`);
      // And in steady state a step adds nothing.
      const before = tf.memory().numTensors;
      step(1);
      assert.equal(tf.memory().numTensors, before, `${gradientMode}: a second step leaks no tensors`);
      seen.length = 1;
      const rows = seen[0]!.gradients!;
      assert.equal(rows.length, 2);
      assert.equal(seen[0]!.gramian, undefined, 'a gradients method is not given the Gramian');
      if (!returnGramian) {
        assert.equal(result.gramian, undefined);
        continue;
      }
      const expected = rows.map((a) => rows.map((b) => a.reduce((s, v, k) => s + v * b[k]!, 0)));
      result.gramian!.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected[i]![j]!) <= 1e-5 * Math.abs(expected[i]![i]!), `${gradientMode} M[${i}][${j}]: ${v} vs ${expected[i]![j]}`)));
    }
  }
  disposeBatch(batch!);
  optimizer.dispose();
  model.model.dispose();
});

test('a `gradients` method gets the batch size in representation mode, and the encoder output (batch-major) when it reads it', () => {
  installSeededRandom(6);
  const { data, tasks } = toyData(16);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8] } });
  const optimizer = new Adam();
  const [batch] = [...data.batches({ batchSize: 16 })];
  const seen: { representation?: { values?: Float32Array; batchSize: number }; d: number }[] = [];
  const reading = {
    ...(equalWeighting as WeightingMethod<unknown, unknown>),
    name: 'reads-representation',
    needs: 'gradients',
    readsRepresentation: true,
    gradientModes: ['parameters', 'representation'],
    update: (input, state) => {
      const r = input.representation;
      seen.push({ d: input.gradients![0]!.length, ...(r ? { representation: { batchSize: r.batchSize, ...(r.values ? { values: r.values.slice() } : {}) } } : {}) });
      return { weights: [1, 1], state };
    },
  } as WeightingMethod<unknown, unknown>;
  const notReading = { ...reading, readsRepresentation: false } as WeightingMethod<unknown, unknown>;
  for (const gradientMode of ['parameters', 'representation'] as const) {
    trainStep(batch!, { model, optimizer, method: reading, methodOptions: {}, methodState: null, lastWeights: [1, 1], learningRate: 0, gradientMode, epoch: 0, step: 0 });
  }
  trainStep(batch!, { model, optimizer, method: notReading, methodOptions: {}, methodState: null, lastWeights: [1, 1], learningRate: 0, gradientMode: 'representation', epoch: 0, step: 0 });
  assert.deepEqual(seen[2]!.representation, { batchSize: 16 }, 'a method that does not read the values gets the batch size only');
  assert.equal(seen[0]!.representation, undefined, 'parameters mode: no representation');
  const { representation, d } = seen[1]!;
  assert.equal(representation!.batchSize, 16);
  assert.equal(d, 16 * 8, 'the rows are the gradients w.r.t. the 16 × 8 representation');
  const expected = model.representation!.encode(batch!.x, true);
  assertClose(Array.from(representation!.values!), Array.from(expected.dataSync()), 1e-6);
  expected.dispose();
  disposeBatch(batch!);
  optimizer.dispose();
  model.model.dispose();
});

test('taskGradientScales scale each task\'s own gradient and leave the shared update alone; bad scales are refused', () => {
  const { data, tasks } = toyData(32);
  const [batch] = [...data.batches({ batchSize: 32 })];
  // A gradients method that sums the rows, optionally scaling the heads' gradients.
  const summing = (scales?: number[]): WeightingMethod<unknown, unknown> => ({
    name: 'summing',
    description: 'test method: the plain sum of the rows, with task gradient scales',
    needs: 'gradients',
    balancesScales: false,
    gradientModes: ['parameters'],
    resolveOptions: () => ({}),
    init: () => null,
    update: (input) => ({ weights: input.losses.map(() => 1), ...(scales ? { taskGradientScales: scales } : {}), state: null }),
  });
  // One SGD step (lr 1) from the same weights: the change of each variable is −scale · its gradient.
  const change = (scales?: number[]) => {
    installSeededRandom(4);
    const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4] } });
    const vars = [...model.sharedVariables, ...model.taskVariables.a!, ...model.taskVariables.b!];
    const before = vars.map((v) => v.dataSync().slice());
    const optimizer = new Sgd();
    try {
      trainStep(batch!, {
        model, optimizer, method: summing(scales), methodOptions: {}, methodState: null, lastWeights: [1, 1],
        learningRate: 1, gradientMode: 'parameters', epoch: 0, step: 0,
      });
      const shared = model.sharedVariables.length;
      const heads = { a: model.taskVariables.a!.length, b: model.taskVariables.b!.length };
      const deltas = vars.map((v, i) => Array.from(v.dataSync(), (x, k) => x - before[i]![k]!));
      return { shared: deltas.slice(0, shared).flat(), a: deltas.slice(shared, shared + heads.a).flat(), b: deltas.slice(shared + heads.a).flat() };
    } finally {
      optimizer.dispose();
      model.model.dispose();
    }
  };
  const plain = change();
  const scaled = change([2, 0.25]);
  assertClose(scaled.shared, plain.shared, 1e-6);
  assertClose(scaled.a, plain.a.map((v) => 2 * v), 1e-6);
  assertClose(scaled.b, plain.b.map((v) => 0.25 * v), 1e-6);
  assert.ok(plain.a.some((v) => Math.abs(v) > 1e-6) && plain.b.some((v) => Math.abs(v) > 1e-6), 'the heads moved');
  const before = tf.memory().numTensors;
  assert.throws(() => change([1]), /taskGradientScales \[1\]; expected 2 finite numbers ≥ 0/);
  assert.throws(() => change([1, -1]), /expected 2 finite numbers/);
  assert.equal(tf.memory().numTensors, before, 'a refused step leaves no tensors behind');
  disposeBatch(batch!);
});
