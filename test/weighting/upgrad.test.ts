import { test } from 'node:test';
import { upgrad } from '../../src/weighting/upgrad.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

// Reference values: each projection min vᵀQv s.t. v ≥ u solved by enumerating the active sets (the unique KKT
// point, numpy), Q = M/trace(M) + 1e-4·I, weights = Σ_u v_u.
test('upgrad: golden values (2 and 3 tasks, huge scale gap)', () => {
  assertClose(run(upgrad, { rows: examples.conflicting }).weights, [0.749943762653403, 0.6999640064788338], 1e-12);
  assertClose(run(upgrad, { rows: examples.three }).weights, [0.48160510973529325, 0.573268454876468, 0.42505720535474756], 1e-12);
  assertClose(run(upgrad, { rows: examples.scaleGap }).weights, [0.500000499950005, 0.50499999989999], 1e-12);
});

test('upgrad: hand-computed: no conflict → the mean; without regularisation the 2-task projections are exact', () => {
  assertClose(run(upgrad, { rows: examples.aligned }).weights, [0.5, 0.5], 1e-15);
  assertClose(run(upgrad, { rows: examples.zero }).weights, [0.5, 0.5], 1e-15);
  assertClose(run(upgrad, { rows: examples.identical }).weights, [0.5, 0.5], 1e-15);
  // ε = 0, conflicting: projecting g1/2 off g2: v = (½, 0.5·0.5/1.25) = (½, 0.2); g2/2 off g1: v = (0.25, ½).
  // Sum (0.75, 0.7).
  assertClose(run(upgrad, { rows: examples.conflicting, options: { regularization: 0 } }).weights, [0.75, 0.7], 1e-14);
});
