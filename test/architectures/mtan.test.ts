import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mtan } from '../../src/architectures/mtan.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import {
  assertGradients, assertNoLeaks, assertOutputShapes, assertSaveLoad, assertVariableSplit, disposeRandomBatch, randomBatch, threeTasks,
} from './helpers.js';

test('MTAN (MLP encoder, dense attention): shapes, split, gradients, save/load, no leaks', async () => {
  installSeededRandom(4);
  const tasks = threeTasks();
  const m = mtan({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 6] } });
  const attention = m.model.layers.filter((l) => l.name.startsWith('attention_a_'));
  assert.equal(attention.length, 2, 'one attention module per stage for task a');
  const batch = randomBatch(tasks, [6], 16);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  m.model.dispose();
});

test('MTAN (user conv stages: a map, a map shrunk 9→3, then a vector) with two tasks', async () => {
  installSeededRandom(5);
  const tasks = threeTasks().slice(1);
  const stages = [
    (x: tf.SymbolicTensor) => tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor,
    (x: tf.SymbolicTensor) => tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor,
    (x: tf.SymbolicTensor) => tf.layers.dense({ units: 5, activation: 'relu' }).apply(tf.layers.flatten().apply(x)) as tf.SymbolicTensor,
  ];
  const m = mtan({ tasks, inputShape: [9, 9, 1], encoder: { stages } });
  assert.ok((m.model.getLayer('attention_projection1') as tf.LayersModel).outputs[0]!.shape.join() === ',3,3,6', 'previous attended map pooled to 3×3');
  const batch = randomBatch(tasks, [9, 9, 1], 4);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  m.model.dispose();
});

test('MTAN (residual conv net: same-size maps, a stride-2 stage, pooling to a vector)', async () => {
  installSeededRandom(9);
  const tasks = threeTasks().slice(0, 2);
  const m = mtan({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 2 } });
  const batch = randomBatch(tasks, [8, 8, 1], 4);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  disposeRandomBatch(batch);
  m.model.dispose();
});

test('disposing an MTAN model frees every weight, the per-task projections included', () => {
  for (const count of [1, 2, 3]) {
    const start = tf.memory().numTensors;
    const m = mtan({ tasks: threeTasks().slice(0, count), inputShape: [6], encoder: { type: 'mlp', hidden: [8, 6, 4] } });
    m.model.dispose();
    assert.equal(tf.memory().numTensors, start, `${count} task(s): ${tf.memory().numTensors - start} tensors left`);
  }
});
