import { test } from 'node:test';
import { multiObjectiveDoubleSampling as modo } from '../../src/weighting/moDo.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run, runSteps } from './helpers.js';

test('modo: one projected step, hand-computed (2 tasks)', () => {
  // λ = (½, ½): Mλ = (0.25, 0.375), +ρλ = (0.3, 0.425); λ − 0.001·(0.3, 0.425) = (0.4997, 0.499575);
  // projection adds (1 − 0.999275)/2 = 0.0003625 to each → (0.5000625, 0.4999375).
  assertClose(run(modo, { rows: examples.conflicting }).weights, [0.5000625, 0.4999375], 1e-15);
  // Identical gradients: symmetric, stays (½, ½).
  assertClose(run(modo, { rows: examples.identical }).weights, [0.5, 0.5], 1e-15);
  // Huge gap: Mλ = (5e5 − 0.5, …) → the step leaves the simplex; projection puts all weight on task 2.
  assertClose(run(modo, { rows: examples.scaleGap }).weights, [0, 1], 1e-15);
});

test('modo: three tasks, two steps, hand-computed from the rule', () => {
  const m = [[1, -0.5, 0.2], [-0.5, 1.25, -0.4], [0.2, -0.4, 1.13]];
  let lambda = [1 / 3, 1 / 3, 1 / 3];
  const outs = runSteps(modo, { rows: examples.three }, 2);
  for (const out of outs) {
    const step = lambda.map((l, i) => l - 0.001 * (m[i]!.reduce((s, v, j) => s + v * lambda[j]!, 0) + 0.1 * l));
    // All stay positive: the projection is a uniform shift.
    const shift = (1 - step.reduce((s, v) => s + v, 0)) / 3;
    lambda = step.map((v) => v + shift);
    assertClose(out.weights, lambda, 1e-15);
  }
});
