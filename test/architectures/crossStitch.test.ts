import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crossStitch, CrossStitch } from '../../src/architectures/crossStitch.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import {
  assertGradients, assertNoLeaks, assertOutputShapes, assertSaveLoad, assertVariableSplit, disposeRandomBatch, randomBatch, threeTasks,
} from './helpers.js';

test('cross-stitch (MLP): stitch matrices start at 0.9 / 0.05, shapes, split, gradients, save/load, no leaks', async () => {
  installSeededRandom(2);
  const tasks = threeTasks();
  const m = crossStitch({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 8] } });
  const stitches = m.model.layers.filter((l) => l instanceof CrossStitch);
  assert.equal(stitches.length, 2, 'one stitch unit after every stage');
  const alpha = Array.from(stitches[0]!.getWeights()[0]!.dataSync());
  assert.deepEqual(alpha.map((v) => Math.round(v * 1000) / 1000), [0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9]);
  const batch = randomBatch(tasks, [6], 16);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  for (const s of stitches) assert.ok(m.sharedVariables.includes(s.trainableWeights[0]!.read() as never), 'stitch matrices are shared');
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  m.model.dispose();
});

test('cross-stitch (residual conv encoder) with two tasks', async () => {
  installSeededRandom(3);
  const tasks = threeTasks().slice(0, 2);
  const m = crossStitch({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 2 } });
  const batch = randomBatch(tasks, [8, 8, 1], 4);
  assertOutputShapes(m, batch.x);
  assertVariableSplit(m);
  assertGradients(m, batch);
  await assertSaveLoad(m, batch.x);
  assertNoLeaks(m, batch);
  disposeRandomBatch(batch);
  m.model.dispose();
});
