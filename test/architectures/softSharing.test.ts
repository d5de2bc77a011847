import assert from 'node:assert/strict';
import { test } from 'node:test';
import { softSharing } from '../../src/architectures/softSharing.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { trainStep } from '../../src/training/trainStep.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import {
  assertGradients, assertNoLeaks, assertOutputShapes, assertSaveLoad, assertVariableSplit, disposeRandomBatch, randomBatch, threeTasks,
} from './helpers.js';

test('soft sharing (MLP): shapes, split, gradients, save/load, no leaks', async () => {
  installSeededRandom(1);
  const tasks = threeTasks();
  const m = softSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 8] } });
  const batch = randomBatch(tasks, [6], 16);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assert.equal(m.sharedVariables.length, 0);
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  m.model.dispose();
});

test('the soft-sharing penalty is ρ·Σ_k Σ_{t<s} ‖W_t^k − W_s^k‖², added and logged by the train step', () => {
  installSeededRandom(8);
  const tasks = threeTasks();
  const m = softSharing({ tasks, inputShape: [3], encoder: { type: 'mlp', hidden: [2] }, strength: 0.5 });
  const towers = tasks.map((t) => m.model.getLayer(`tower_${t.name}`).getWeights().map((w) => Array.from(w.dataSync())));
  let expected = 0;
  for (let t = 0; t < 3; t++) {
    for (let s = t + 1; s < 3; s++) {
      towers[t]!.forEach((w, k) => w.forEach((v, i) => (expected += (v - towers[s]![k]![i]!) ** 2)));
    }
  }
  const aux = m.auxiliaryLoss!()!;
  assert.equal(aux.name, 'soft-sharing penalty');
  assert.ok(Math.abs(aux.value.dataSync()[0]! - 0.5 * expected) < 1e-5);
  aux.value.dispose();
  const batch = randomBatch(tasks, [3], 8);
  const optimizer = new Adam();
  const result = trainStep(batch, {
    model: m, optimizer, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, methodState: null,
    lastWeights: [1, 1, 1], learningRate: 1e-3, gradientMode: 'parameters', epoch: 0, step: 0,
  });
  assert.equal(result.auxiliary?.name, 'soft-sharing penalty');
  assert.ok(Math.abs(result.auxiliary!.value - 0.5 * expected) < 1e-5);
  const none = softSharing({ tasks, inputShape: [3], encoder: { type: 'mlp', hidden: [2] }, strength: 0 });
  assert.equal(none.auxiliaryLoss!(), null, 'strength 0: independent towers, no penalty');
  optimizer.dispose();
  disposeRandomBatch(batch);
  m.model.dispose();
  none.model.dispose();
});
