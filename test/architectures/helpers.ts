import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import type { Batch } from '../../src/data/dataset.js';
import { loadModel, saveModel } from '../../src/io/modelFiles.js';
import { createTask } from '../../src/tasks/createTask.js';
import { maskedMeanLoss } from '../../src/tasks/losses.js';
import type { Task } from '../../src/tasks/task.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { Random } from '../../src/random/random.js';
import { trainStep } from '../../src/training/trainStep.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { projectingConflictingGradients } from '../../src/weighting/pcgrad.js';

/** Three tasks of different kinds, so heads of different widths are exercised. */
export function threeTasks(): Task[] {
  return [
    createTask({ name: 'a', kind: 'binary' }),
    createTask({ name: 'b', kind: 'regression', outputs: 2 }),
    createTask({ name: 'c', kind: 'multiclass', classes: 3, head: { hidden: [4] } }),
  ];
}

/** A random batch for `tasks` with inputs of `inputShape`; every label present. */
export function randomBatch(tasks: readonly Task[], inputShape: readonly number[], size: number, seed = 1): Batch {
  const r = new Random(seed);
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: size * rowSize }, () => r.normal()), [size, ...inputShape]);
  const labels: Batch['labels'] = {};
  const masks: Batch['masks'] = {};
  const labelled: Batch['labelled'] = {};
  for (const t of tasks) {
    const values = Float32Array.from({ length: size * t.labelWidth }, () =>
      t.kind === 'regression' ? r.normal() : t.kind === 'multiclass' ? r.int(t.outputSize) : r.int(2),
    );
    labels[t.name] = tf.tensor2d(values, [size, t.labelWidth]);
    masks[t.name] = tf.ones([size]) as tf.Tensor1D;
    labelled[t.name] = size;
  }
  return { x, labels, masks, labelled, size };
}

function taskLoss(task: Task, outputs: Record<string, tf.Tensor2D>, batch: Batch): tf.Scalar {
  return maskedMeanLoss(task.exampleLosses(outputs[task.name]!, batch.labels[task.name]!), batch.masks[task.name]!);
}

/** Every trainable variable of `model.model` is declared exactly once, shared or for one task. */
export function assertVariableSplit(m: MultiTaskModel, extra: readonly tf.Variable[] = []): void {
  const declared = [...m.sharedVariables, ...Object.values(m.taskVariables).flat()];
  const names = declared.map((v) => v.name);
  assert.equal(new Set(names).size, names.length, 'no variable is declared twice');
  const inModel = [...m.model.trainableWeights.map((w) => (w.read() as tf.Variable).name), ...extra.map((v) => v.name)].sort();
  assert.deepEqual([...names].sort(), inModel, 'declared variables = trainable variables of the model');
  assert.deepEqual(Object.keys(m.taskVariables).sort(), m.tasks.map((t) => t.name).sort(), 'one variable list per task');
}

/**
 * Gradients: every declared variable gets a non-zero gradient from the total loss
 * (Σ task losses + auxiliary loss), a task's variables get none from another task's
 * loss, and a shared variable gets one from at least two tasks' losses.
 */
export function assertGradients(m: MultiTaskModel, batch: Batch): void {
  const all = [...m.sharedVariables, ...Object.values(m.taskVariables).flat()];
  const { value, grads } = tf.variableGrads(() => {
    const out = m.forward(batch.x, true);
    let total = tf.addN(m.tasks.map((t) => taskLoss(t, out, batch)));
    const aux = m.auxiliaryLoss?.();
    if (aux) total = tf.add(total, aux.value);
    return total as tf.Scalar;
  }, all);
  for (const v of all) {
    const g = grads[v.name];
    assert.ok(g, `${v.name} gets a gradient`);
    assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0, `${v.name} gets a non-zero gradient`);
  }
  tf.dispose([value, ...Object.values(grads)]);
  const sharedUsers = new Map(m.sharedVariables.map((v) => [v.name, 0]));
  for (const task of m.tasks) {
    const { value: v2, grads: g2 } = tf.variableGrads(() => taskLoss(task, m.forward(batch.x, true), batch), all);
    for (const v of m.sharedVariables) {
      const g = g2[v.name];
      if (g && tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0) sharedUsers.set(v.name, sharedUsers.get(v.name)! + 1);
    }
    for (const other of m.tasks) {
      if (other === task) continue;
      for (const v of m.taskVariables[other.name]!) {
        const g = g2[v.name];
        const size = g ? tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) : 0;
        assert.equal(size, 0, `${v.name} (task ${other.name}) gets no gradient from task ${task.name}'s loss`);
      }
    }
    tf.dispose([v2, ...Object.values(g2)]);
  }
  const needed = Math.min(2, m.tasks.length);
  for (const [name, users] of sharedUsers) assert.ok(users >= needed, `shared ${name} gets gradients from ${users} task(s), expected ≥ ${needed}`);
}

/** Outputs of forward and predict have one [batch, outputSize] tensor per task, in task order. */
export function assertOutputShapes(m: MultiTaskModel, x: tf.Tensor): void {
  const n = x.shape[0]!;
  tf.tidy(() => {
    const out = m.forward(x, false);
    assert.deepEqual(Object.keys(out), m.tasks.map((t) => t.name));
    for (const t of m.tasks) assert.deepEqual(out[t.name]!.shape, [n, t.outputSize], `forward shape of ${t.name}`);
    const predicted = m.model.predict(x) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(predicted) ? predicted : [predicted];
    assert.equal(list.length, m.tasks.length, 'one model output per task');
    m.tasks.forEach((t, i) => assert.deepEqual(list[i]!.shape, [n, t.outputSize], `predict shape of ${t.name}`));
  });
}

/** Save with saveModel, load with loadModel, and compare predictions. */
export async function assertSaveLoad(m: MultiTaskModel, x: tf.Tensor): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-arch-'));
  try {
    await saveModel(m.model, dir, { architecture: m.architecture });
    const loaded = await loadModel(dir);
    const before = tf.tidy(() => [m.model.predict(x)].flat().map((t) => Array.from((t as tf.Tensor).dataSync())));
    const after = tf.tidy(() => [loaded.predict(x)].flat().map((t) => Array.from((t as tf.Tensor).dataSync())));
    assert.equal(after.length, m.tasks.length);
    after.forEach((values, i) => values.forEach((v, k) => assert.ok(Math.abs(v - before[i]![k]!) <= 1e-6, `output ${i}[${k}]: ${v} vs ${before[i]![k]}`)));
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const asMethod = (m: unknown) => m as WeightingMethod<unknown, unknown>;

/**
 * A few train steps with a loss method and (when the model shares variables) a
 * gradient method; no tensor may leak once the optimizer's slots exist.
 */
export function assertNoLeaks(m: MultiTaskModel, batch: Batch): void {
  const optimizer = new Adam();
  const methods = [asMethod(equalWeighting), ...(m.sharedVariables.length > 0 ? [asMethod(projectingConflictingGradients)] : [])];
  const context = { taskNames: m.tasks.map((t) => t.name), seed: 0 };
  const options = methods.map((method) => method.resolveOptions(undefined, context));
  const states = methods.map((method, k) => method.init(context, options[k]));
  const step = (s: number) =>
    methods.forEach((method, k) => {
      const result = trainStep(batch, {
        model: m, optimizer, method, methodOptions: options[k], methodState: states[k], lastWeights: m.tasks.map(() => 1),
        learningRate: 1e-3, gradientMode: 'parameters', epoch: 0, step: s,
      });
      states[k] = result.methodState;
      for (const t of m.tasks) assert.ok(Number.isFinite(result.losses[t.name]), `finite loss for ${t.name}`);
    });
  step(0);
  const baseline = tf.memory().numTensors;
  step(1);
  step(2);
  tf.tidy(() => {
    m.forward(batch.x, false);
    m.model.predict(batch.x);
  });
  assert.equal(tf.memory().numTensors, baseline, 'no tensor leaked');
  optimizer.dispose();
}

/** Dispose a batch made by {@link randomBatch}. */
export function disposeRandomBatch(batch: Batch): void {
  tf.dispose([batch.x, ...Object.values(batch.labels), ...Object.values(batch.masks)]);
}
