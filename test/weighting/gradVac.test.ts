import { test } from 'node:test';
import { gradientVaccine as gradVac } from '../../src/weighting/gradVac.js';
import { projectingConflictingGradients as pcgrad } from '../../src/weighting/pcgrad.js';
import { assertClose } from '../linalg/assertions.js';
import { combine, examples, run, runSteps } from './helpers.js';

test('gradvac: the first step (targets 0) is PCGrad for two tasks', () => {
  // With φ̂ = 0 the adjustment is −φ‖g_i'‖/‖g_j‖ = −g_i'·g_j/‖g_j‖²: PCGrad's projection (up to the 1e-8).
  for (const rows of [examples.conflicting, examples.aligned, examples.zero, examples.identical]) {
    assertClose(run(gradVac, { rows }).weights, run(pcgrad, { rows }).weights, 1e-7);
  }
});

// Reference values: the paper's loop on the vectors (numpy), β = 0.5, targets from 0, EMA on every pair.
test('gradvac: two steps on conflicting gradients (golden), the adjusted cosine reaches the target', () => {
  const [first, second] = runSteps(gradVac, { rows: examples.conflicting }, 2);
  assertClose(first!.weights, [1.4999999905278643, 1.3999999928445825], 1e-12);
  // φ̂₁₂ = φ̂₂₁ = ½·cos(g1, g2) = −0.5/(2√1.25).
  assertClose(first!.state.targets.flat(), [0, -0.223606795749979, -0.223606795749979, 0], 1e-12);
  assertClose(second!.weights, [1.2705842605281317, 1.216467408656973], 1e-12);
  assertClose(second!.state.targets.flat(), [0, -0.3354101936249685, -0.3354101936249685, 0], 1e-12);
  // In step 2, g1' = g1 + w·g2 has cos(g1', g2) = φ̂₁₂ = −0.2236 (the vaccine's purpose).
  // The weights are the column sums of C = [[1, a], [b, 1]]: a = weights[1] − 1 is task 1's adjustment.
  const a = second!.weights[1]! - 1;
  const g1p = combine(examples.conflicting, [1, a]);
  const g2 = examples.conflicting[1]!;
  const cos = (g1p[0]! * g2[0]! + g1p[1]! * g2[1]!) / (Math.hypot(...g1p) * Math.hypot(...g2));
  assertClose(cos, -0.223606795749979, 1e-7);
});

test('gradvac: three tasks and a huge scale gap stay finite; no conflict → plain sum', () => {
  assertClose(run(gradVac, { rows: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }).weights, [1, 1, 1], 0);
  // Equal to PCGrad up to the reference's +1e-8 in the denominators (‖g2‖ ≈ 1.4e-3: 1e-5 relative).
  const out = run(gradVac, { rows: examples.scaleGap });
  const reference = run(pcgrad, { rows: examples.scaleGap }).weights;
  assertClose(out.weights.map((w, t) => w / reference[t]!), [1, 1], 1e-5);
  if (!run(gradVac, { rows: examples.three }).weights.every(Number.isFinite)) throw new Error('not finite');
});
