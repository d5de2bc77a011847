import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastAdaptiveMultitaskOptimization as famo } from '../../src/weighting/famo.js';
import { softmax } from '../../src/linalg/softmax.js';
import { assertClose } from '../linalg/assertions.js';
import { contextFor } from './helpers.js';
import { lossRun } from './lossMethods.helpers.js';

test('famo: weights z_t/(D_t c), hand-computed (2 and 3 tasks, huge scale gap)', () => {
  // z = (½, ½), D = (1, 4): z/D = (0.5, 0.125), c = 0.625 → (0.8, 0.2).
  assertClose(lossRun(famo, [1, 4]).weights, [0.8, 0.2], 1e-8);
  // z = ⅓: z/D ∝ (1, ½, ¼) → (4, 2, 1)/7.
  assertClose(lossRun(famo, [1, 2, 4]).weights, [4 / 7, 2 / 7, 1 / 7], 1e-8);
  // The gradient of Σ z log D / c is scale-free in each task: tiny losses get large weights.
  const gap = lossRun(famo, [1e6, 1e-3]).weights;
  assertClose(gap, [1e-9 / (1e-9 + 1), 1 / (1e-9 + 1)], 1e-12);
});

test('famo: afterStep, hand-computed: the task that improved more loses logit', () => {
  const options = famo.resolveOptions(undefined, contextFor(2));
  const state = famo.init(contextFor(2), options);
  // δ = (log 1 − log 0.5, 0) = (log 2, 0); J_softmax(0)ᵀδ = ½(δ − mean δ) = (log2/4, −log2/4).
  // Adam's first step is −lr·g/(|g| + 1e-8) ≈ −lr·sign(g): ξ = (−0.025, 0.025) up to 1e-8 relative (the decay
  // term is 0 at ξ = 0).
  const next = famo.afterStep!({ before: [1, 4], after: [0.5, 4] }, state, options);
  assertClose(next.logits, [-0.025, 0.025], 1e-8);
  const z = softmax(next.logits);
  const ratio = [z[0]! / (1 + 1e-8), z[1]! / (4 + 1e-8)];
  const total = ratio[0]! + ratio[1]!;
  assertClose(famo.update({ losses: [1, 4], epoch: 0, step: 1 }, next, options).weights, ratio.map((r) => r / total), 1e-12);
  assert.deepEqual(JSON.parse(JSON.stringify(next)), next);
});
