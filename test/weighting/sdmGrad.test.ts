import { test } from 'node:test';
import { stochasticDirectionOriented as sdmgrad } from '../../src/weighting/sdmGrad.js';
import { multipleGradientDescent as mgda } from '../../src/weighting/mgda.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run, runSteps } from './helpers.js';

// Reference values: the authors' loop re-implemented in numpy (M/s², s = mean sqrt(M_tt + 1e-4), 20 steps of
// momentum-SGD lr 10, momentum 0.5, Duchi projection, w kept across steps), weights (w + λ/T)/(1 + λ), λ = 0.3.
test('sdmgrad: reference solver, two steps (2 and 3 tasks)', () => {
  const [c1, c2] = runSteps(sdmgrad, { rows: examples.conflicting }, 2);
  assertClose(c1!.weights, [0.11538461538461538, 0.8846153846153845], 1e-12);
  assertClose(c2!.weights, [0.11538461538461538, 0.8846153846153841], 1e-12);
  const [t1, t2] = runSteps(sdmgrad, { rows: examples.three }, 2);
  assertClose(t1!.weights, [0.46317266034050497, 0.4599042627364177, 0.07692307692307691], 1e-12);
  assertClose(t2!.weights, [0.07692307692307691, 0.8461538461538461, 0.07692307692307691], 1e-12);
});

test('sdmgrad: exact solver (scipy SLSQP golden); equals MGDA when the min-norm point is inside the shrunken simplex', () => {
  // The weights (w + λ/T)/(1 + λ) range over a simplex shrunk around the centroid; the minimiser of ‖Gᵀ·‖² over
  // it is MGDA's min-norm point whenever that point lies inside (all α_t ≥ λ/(T(1 + λ))).
  assertClose(run(sdmgrad, { rows: examples.conflicting, options: { solver: 'exact' } }).weights, [0.5384615391304906, 0.46153846086950945], 1e-8);
  assertClose(run(sdmgrad, { rows: examples.conflicting, options: { solver: 'exact' } }).weights, [7 / 13, 6 / 13], 1e-12);
  assertClose(
    run(sdmgrad, { rows: examples.three, options: { solver: 'exact' } }).weights,
    run(mgda, { rows: examples.three, options: { solver: 'exact' } }).weights,
    1e-12,
  );
  // Aligned g2 = (1,1) is the min-norm point, outside: the weights sit on the shrunken simplex's edge,
  // w = (0, 1) → ((0 + 0.15)/1.3, (1 + 0.15)/1.3).
  assertClose(run(sdmgrad, { rows: examples.aligned, options: { solver: 'exact' } }).weights, [0.15 / 1.3, 1.15 / 1.3], 1e-12);
  // λ = 0 is MGDA; identical gradients keep the symmetric start.
  assertClose(run(sdmgrad, { rows: examples.identical }).weights, [0.5, 0.5], 1e-15);
});
