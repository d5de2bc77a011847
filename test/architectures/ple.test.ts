import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ple, splitStages } from '../../src/architectures/ple.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import {
  assertGradients, assertNoLeaks, assertOutputShapes, assertSaveLoad, assertVariableSplit, disposeRandomBatch, randomBatch, threeTasks,
} from './helpers.js';

test('splitStages spreads stages over levels, earlier levels taking the remainder', () => {
  assert.deepEqual(splitStages(3, 3), [[0, 1], [1, 2], [2, 3]]);
  assert.deepEqual(splitStages(5, 2), [[0, 3], [3, 5]]);
  assert.deepEqual(splitStages(2, 1), [[0, 2]]);
});

for (const levels of [1, 2, 3]) {
  test(`PLE with ${levels} level(s): shapes, split (checked against each task's gradients), gate weights, save/load, no leaks`, async () => {
    installSeededRandom(10 + levels);
    const tasks = threeTasks();
    const m = ple({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 8, 8] }, levels, sharedExperts: 2, taskExperts: 1 });
    const batch = randomBatch(tasks, [6], 16);
    assertOutputShapes(m, batch.x);
    assertVariableSplit(m);
    assertGradients(m, batch);
    const gates = m.gateWeights(batch.x);
    // Per level: one gate per task, plus the shared gate below the last level.
    assert.equal(gates.length, levels * 3 + (levels - 1));
    for (const g of gates) {
      assert.equal(g.weights.length, g.gate === 'shared' ? 3 * 1 + 2 : 1 + 2);
      assert.ok(Math.abs(g.weights.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    await assertSaveLoad(m, batch.x);
    assertNoLeaks(m, batch);
    disposeRandomBatch(batch);
    m.model.dispose();
  });
}
