import { test } from 'node:test';
import { conflictAverseGradient as cagrad } from '../../src/weighting/cagrad.js';
import { assertClose } from '../linalg/assertions.js';
import { combine, examples, projections, run } from './helpers.js';

// Reference values: the PRIMAL problem max_d min_t g_tᵀd s.t. ‖d − g0‖ ≤ c‖g0‖ solved by scipy SLSQP on
// (d, t) with ftol 1e-15, and the weights recovered from Gᵀw = d/(1 + c²) (c = 0.4).
test('cagrad: golden values from the primal problem (2 and 3 tasks, aligned)', () => {
  assertClose(run(cagrad, { rows: examples.conflicting }).weights, [0.6420888063947177, 0.5503618340526144], 1e-7);
  assertClose(run(cagrad, { rows: examples.orthogonal }).weights, [0.816563444396516, 0.4310344796391464], 1e-7);
  assertClose(run(cagrad, { rows: examples.aligned }).weights, [0.43103448636657266, 0.8165634407885634], 1e-7);
  assertClose(run(cagrad, { rows: examples.three }).weights, [0.40283593368935144, 0.4475954818770559, 0.29839698791803426], 1e-7);
});

test('cagrad: hand-computed symmetric cases and c = 0', () => {
  // Orthonormal g1, g2 (and identical gradients): w = (½, ½), g_w = g0, d = (1 + c) g0 → weights (1 + c)/(2(1 + c²)).
  const expected = 1.4 / 2 / 1.16;
  assertClose(run(cagrad, { rows: [[1, 0], [0, 1]] }).weights, [expected, expected], 1e-9);
  assertClose(run(cagrad, { rows: examples.identical }).weights, [expected, expected], 1e-9);
  // c = 0 is the mean gradient.
  assertClose(run(cagrad, { rows: examples.three, options: { conflictAversion: 0 } }).weights, [1 / 3, 1 / 3, 1 / 3], 1e-12);
  // rescale 'none' multiplies by 1 + c².
  assertClose(run(cagrad, { rows: [[1, 0], [0, 1]], options: { rescale: 'none' } }).weights, [0.7, 0.7], 1e-9);
  assertClose(run(cagrad, { rows: [[1, 0], [0, 1]], options: { rescale: 'c' } }).weights, [0.5, 0.5], 1e-9);
});

test('cagrad: zero gradient and huge scale gap: d stays in the ball and maximises the worst improvement', () => {
  for (const rows of [examples.zero, examples.scaleGap]) {
    const w = run(cagrad, { rows, options: { rescale: 'none' } }).weights;
    const d = combine(rows, w);
    const g0 = combine(rows, [0.5, 0.5]);
    const radius = 0.4 * Math.hypot(...g0);
    // In the ball (with a zero gradient the worst improvement is 0 for every d with g1·d ≥ 0, and the solver
    // returns d = g0: the dual optimum has g_w = 0).
    if (Math.hypot(d[0]! - g0[0]!, d[1]! - g0[1]!) > radius * (1 + 1e-9)) throw new Error('d outside the ball');
    if (rows === examples.scaleGap) assertClose(Math.hypot(d[0]! - g0[0]!, d[1]! - g0[1]!), radius, 1e-9 * (1 + radius));
    // No point of the sphere does better on the worst task (dense scan of the circle).
    const worst = Math.min(...projections(rows, d));
    for (let k = 0; k < 3600; k++) {
      const a = (2 * Math.PI * k) / 3600;
      const e = [g0[0]! + radius * Math.cos(a), g0[1]! + radius * Math.sin(a)];
      const value = Math.min(...projections(rows, e));
      if (value > worst + 1e-9 * (1 + Math.abs(worst))) throw new Error(`better point at angle ${a}: ${value} > ${worst}`);
    }
  }
});
