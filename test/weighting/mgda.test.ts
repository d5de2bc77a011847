import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multipleGradientDescent as mgda } from '../../src/weighting/mgda.js';
import { mgdaUpperBound } from '../../src/weighting/mgdaUb.js';
import { MtlError } from '../../src/errors.js';
import { assertClose } from '../linalg/assertions.js';
import { contextFor, examples, run } from './helpers.js';

const rows = examples.conflicting; // M = [[1, −0.5], [−0.5, 1.25]], losses (1, 2)

test('mgda: two conflicting tasks, every normaliser (closed form γ = (b·b − a·b)/‖a − b‖² on a = g1/n1, b = g2/n2)', () => {
  // none: γ = (1.25 + 0.5)/(1 + 1.25 + 1) = 7/13.
  assertClose(run(mgda, { rows }).weights, [7 / 13, 6 / 13], 1e-14);
  // l2: unit gradients → γ = ½; mapped back: (½/1, ½/√1.25).
  assertClose(run(mgda, { rows, options: { normalizer: 'l2' } }).weights, [0.5, 0.5 / Math.sqrt(1.25)], 1e-14);
  assertClose(run(mgda, { rows, options: { normalizer: 'l2', mapWeightsBack: false } }).weights, [0.5, 0.5], 1e-14);
  // loss: b = g2/2 → b·b = 0.3125, a·b = −0.25 → γ = 0.5625/1.8125 = 9/29; mapped: (9/29, (20/29)/2).
  assertClose(run(mgda, { rows, options: { normalizer: 'loss' } }).weights, [9 / 29, 10 / 29], 1e-14);
  // loss+: n = (1, 2√1.25); γ from the same formula (scipy-free: see test/weighting comment), checked below by its
  // definition (γ minimises ‖γa + (1 − γ)b‖²), mapped weights (γ, (1 − γ)/n2).
  const n2 = 2 * Math.sqrt(1.25);
  const a = [1, 0];
  const b = [-0.5 / n2, 1 / n2];
  const gamma = (b[0]! * b[0]! + b[1]! * b[1]! - (a[0]! * b[0]! + a[1]! * b[1]!)) / ((a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2);
  assertClose(gamma, 0.2790496134403554, 1e-14); // = scipy/numpy reference value
  assertClose(run(mgda, { rows, options: { normalizer: 'loss+' } }).weights, [gamma, (1 - gamma) / n2], 1e-14);
});

test('mgda: degenerate two-task cases (reference clipping 0.001/0.999 vs exact)', () => {
  // Aligned, g2 = (1,1) is the min-norm point (g1·g2 = 2 ≥ ‖g2‖² = 2).
  assertClose(run(mgda, { rows: examples.aligned }).weights, [0.001, 0.999], 1e-15);
  assertClose(run(mgda, { rows: examples.aligned, options: { solver: 'exact' } }).weights, [0, 1], 1e-15);
  // A zero gradient is the min-norm point: the update is 0 (Pareto stationary).
  assertClose(run(mgda, { rows: examples.zero, options: { solver: 'exact' } }).weights, [0, 1], 1e-15);
  // Identical gradients: any α gives the same d; the closed form picks γ = 0.999.
  assertClose(run(mgda, { rows: examples.identical }).weights, [0.999, 0.001], 1e-15);
  // Huge gap: γ = (2e-6 + 1)/(1e6 + 2e-6 + 2) (the formula), almost all weight on the tiny gradient.
  assertClose(run(mgda, { rows: examples.scaleGap }).weights, [(2e-6 + 1) / (1e6 + 2e-6 + 2), 1 - (2e-6 + 1) / (1e6 + 2e-6 + 2)], 1e-15);
  // l2 with a zero gradient: its normaliser 0 is replaced by 1.
  assert.ok(run(mgda, { rows: examples.zero, options: { normalizer: 'l2' } }).weights.every(Number.isFinite));
});

test('mgda: three tasks: the exact solver gives (27, 30, 20)/77; Frank-Wolfe is within 2e-4', () => {
  // Exact: on the support {1,2,3}, Mα = μ1 with Σα = 1 → α = (27, 30, 20)/77 (all positive, so KKT holds);
  // checked against scipy SLSQP: [0.35064935, 0.38961039, 0.25974026].
  const exact = [27 / 77, 30 / 77, 20 / 77];
  assertClose(run(mgda, { rows: examples.three, options: { solver: 'exact' } }).weights, exact, 1e-13);
  assertClose(run(mgda, { rows: examples.three }).weights, exact, 2e-4);
});

test('mgda-ub: same rule, representation mode only', () => {
  assert.deepEqual(mgdaUpperBound.gradientModes, ['representation']);
  assert.deepEqual(run(mgdaUpperBound, { rows: examples.three }).weights, run(mgda, { rows: examples.three }).weights);
  assert.throws(
    () => mgda.resolveOptions({ normalizer: 'L2' }, contextFor(2)),
    (e: unknown) => e instanceof MtlError && e.code === 'weighting.bad_option' && /"l2"/.test(e.fix ?? ''),
  );
});
