import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignedMtl } from '../../src/weighting/alignedMtl.js';
import { alignedMtlUpperBound } from '../../src/weighting/alignedMtlUb.js';
import { gramianOf } from '../../src/linalg/matrix.js';
import { symmetricEigen } from '../../src/linalg/symmetricEigen.js';
import { assertClose, randomRows } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

test('aligned-mtl: hand-computed: orthogonal gradients are rescaled to the smallest norm', () => {
  // M = diag(1, 4): λ = (4, 1), B = √1·diag(1, ½) → α = (1, ½): aligned gradients (1,0), (0,1).
  assertClose(run(alignedMtl, { rows: examples.orthogonal }).weights, [1, 0.5], 1e-14);
  // Identical gradients: rank 1, λ = 4, v = (1,1)/√2: B = vvᵀ → α = (1, 1).
  assertClose(run(alignedMtl, { rows: examples.identical }).weights, [1, 1], 1e-12);
  // Zero gradient: rank 1 on g1: α = (1, 0).
  assertClose(run(alignedMtl, { rows: examples.zero }).weights, [1, 0], 1e-12);
  assertClose(run(alignedMtl, { rows: [[0, 0], [0, 0]] }).weights, [0, 0], 0);
});

// numpy.linalg.eigh reference of B·1 with the same rank tolerance.
test('aligned-mtl: golden values (2 and 3 tasks); the huge gap is below the rank tolerance', () => {
  assertClose(run(alignedMtl, { rows: examples.conflicting }).weights, [1.0415135155750423, 0.946830468704584], 1e-12);
  assertClose(run(alignedMtl, { rows: examples.aligned }).weights, [0.27639320225002095, 0.552786404500042], 1e-12);
  assertClose(run(alignedMtl, { rows: examples.three }).weights, [0.9861242780370152, 1.06959159673743, 0.8440488946529421], 1e-12);
  // λ₂ = 1e-6 < λ₁·T·eps_float32 ≈ 0.24: the tiny task is treated as numerical noise (reference behaviour).
  assertClose(run(alignedMtl, { rows: examples.scaleGap }).weights, [0.9999989999989999, -9.999990000000001e-7], 1e-12);
});

test('aligned-mtl: the aligned system B G has Gramian λ_min·I (orthogonal, equal norms) at full rank', () => {
  for (let seed = 0; seed < 10; seed++) {
    const rows = randomRows(1000 + seed, 2 + (seed % 3), 5);
    const w = run(alignedMtl, { rows }).weights;
    // B = √λmin M^{−1/2}, so Bᵀ M B = λmin I and w = B1; check (B1)ᵀ M (B1) = T·λmin via the eigenvalues.
    const m = gramianOf(rows);
    const quadratic = w.reduce((s, wi, i) => s + wi * m[i]!.reduce((r, v, j) => r + v * w[j]!, 0), 0);
    const { values } = symmetricEigen(m);
    assertClose(quadratic, rows.length * values[values.length - 1]!, 1e-9 * values[0]!);
  }
  assert.deepEqual(alignedMtlUpperBound.gradientModes, ['representation']);
  assert.deepEqual(run(alignedMtlUpperBound, { rows: examples.three }).weights, run(alignedMtl, { rows: examples.three }).weights);
});

