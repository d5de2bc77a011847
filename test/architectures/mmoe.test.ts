import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { mmoe } from '../../src/architectures/mmoe.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import {
  assertGradients, assertNoLeaks, assertOutputShapes, assertSaveLoad, assertVariableSplit, disposeRandomBatch, randomBatch, threeTasks,
} from './helpers.js';

test('MMoE: shapes, split, gradients, gate weights, save/load, no leaks', async () => {
  installSeededRandom(6);
  const tasks = threeTasks();
  const m = mmoe({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8] }, experts: 3 });
  const batch = randomBatch(tasks, [6], 16);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assertGradients(m, batch);
  const before = tf.memory().numTensors;
  const gates = m.gateWeights(batch.x);
  assert.equal(tf.memory().numTensors, before, 'reading gates leaks nothing');
  assert.deepEqual(gates.map((g) => g.gate), ['task:a', 'task:b', 'task:c']);
  for (const g of gates) {
    assert.equal(g.weights.length, 3);
    assert.deepEqual(g.experts, ['expert0', 'expert1', 'expert2']);
    assert.ok(Math.abs(g.weights.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'gate weights sum to 1');
  }
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  m.model.dispose();
});

test('MMoE with conv experts on images', async () => {
  installSeededRandom(7);
  const tasks = threeTasks().slice(0, 2);
  const m = mmoe({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 1 }, experts: 2 });
  const batch = randomBatch(tasks, [8, 8, 1], 4);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  disposeRandomBatch(batch);
  m.model.dispose();
});
