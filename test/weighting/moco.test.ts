import { test } from 'node:test';
import { moco } from '../../src/weighting/moco.js';
import { softmax } from '../../src/linalg/softmax.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run, runSteps } from './helpers.js';

// Reference values: the rule re-implemented in numpy: ĝ_t = g_t/(‖g_t‖ + 1e-8)·L_t, y ← y − (0.5/√k)(y − ĝ),
// λ ← Π_Δ(λ − (0.1/√k) YYᵀλ), d = Yᵀλ (losses 1 and 2).
test('moco: two steps (golden), weights on the simplex', () => {
  const [first, second] = runSteps(moco, { rows: examples.conflicting, losses: [1, 2] }, 2);
  assertClose(first!.weights, [0.5187499996777865, 0.4812500003222136], 1e-7);
  assertClose(Array.from(first!.direction!), [0.0441534561916902, 0.4304430821069062], 1e-7);
  assertClose(second!.weights, [0.5409792218005607, 0.45902077819943937], 1e-7);
  assertClose(Array.from(second!.direction!), [0.08826423852792548, 0.5557157755303661], 1e-7);
});

test('moco: softmax variant (LibMTL) and hand-computed first step', () => {
  // Step 1: y = ĝ/2 = ((0.5, 0), (−0.4472, 0.8944)) (norm L); YYᵀ = [[0.25, −0.2236], [−0.2236, 1]];
  // YYᵀλ = (0.0132, 0.3882); step λ − 0.1·that; softmax of it.
  const s5 = 1 / Math.sqrt(5);
  const yy = [[0.25, -0.5 * s5], [-0.5 * s5, 1]];
  const step = [0.5 - 0.1 * (0.5 * yy[0]![0]! + 0.5 * yy[0]![1]!), 0.5 - 0.1 * (0.5 * yy[1]![0]! + 0.5 * yy[1]![1]!)];
  assertClose(run(moco, { rows: examples.conflicting, losses: [1, 2], options: { weightUpdate: 'softmax' } }).weights, softmax(step), 1e-7);
});
