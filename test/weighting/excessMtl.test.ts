import { test } from 'node:test';
import assert from 'node:assert/strict';
import { excessRiskWeighting as excessMtl } from '../../src/weighting/excessMtl.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

test('excess-mtl: the first step records e(0) with weights 1; the second step is exponentiated (golden)', () => {
  const rows1 = examples.three.map((r) => [...r]);
  const rows2 = rows1.map((r, t) => r.map((v) => v * [4, 1, 0.5][t]!));
  const first = run(excessMtl, { rows: rows1 });
  assertClose(first.weights, [1, 1, 1], 0);
  // e_t = Σ_k g²/sqrt(Σ_steps g² + 1e-7) = Σ_k |g_k| at step 1 (to 1e-7): (1, 1.5, 1.5). The gradients travel
  // as Float32Array, so 0.2 and −0.3 are rounded: tolerance 1e-7.
  assertClose(first.state.initialExcess!, [0.9999999500000037, 1.4999998500000338, 1.4999995333339446], 1e-7);
  // Step 2 (numpy reference): task 0's gradient grew ×4, so its excess ratio and weight rise.
  const second = run(excessMtl, { rows: rows2, state: first.state });
  assertClose(second.weights, [1.022894219450742, 0.9909427122553665, 0.9861630682938918], 1e-9);
  assertClose(second.weights.reduce((s, v) => s + v, 0), 3, 1e-12);
});

test('excess-mtl: two tasks, a zero gradient and a huge scale gap stay finite', () => {
  for (const rows of [examples.zero, examples.scaleGap, examples.identical]) {
    const first = run(excessMtl, { rows });
    const second = run(excessMtl, { rows, state: first.state });
    assert.ok(second.weights.every(Number.isFinite));
    assertClose(second.weights.reduce((s, v) => s + v, 0), 2, 1e-12);
  }
  // Identical gradients: identical excess → equal weights.
  const first = run(excessMtl, { rows: examples.identical });
  assertClose(run(excessMtl, { rows: examples.identical, state: first.state }).weights, [1, 1], 1e-12);
});

test('excess-mtl (representation): rows are summed over the batch first, so the accumulator has one entry per feature', () => {
  // Two tasks, batch 2 × 3 features; summed over the batch they are examples.three's first two rows scaled.
  const features = [[1, 2, -1], [0.5, -0.5, 2]];
  const split = (row: number[]) => Float32Array.from([...row.map((v) => v * 0.25), ...row.map((v) => v * 0.75)]);
  const context = { taskNames: ['a', 'b'], seed: 1 };
  const options = excessMtl.resolveOptions(undefined, context);
  const update = (state: ReturnType<typeof excessMtl.init>, representation?: { batchSize: number }) =>
    excessMtl.update(
      { losses: [1, 1], gradients: representation ? features.map(split) : features.map((r) => Float32Array.from(r)), ...(representation ? { representation } : {}), epoch: 0, step: 0 },
      state,
      options,
    );
  const perBatch = update(excessMtl.init(context, options), { batchSize: 2 });
  const direct = update(excessMtl.init(context, options));
  assert.equal(perBatch.state.squaredGradientSum![0]!.length, 3, 'one accumulator entry per feature');
  const flat = (rows: ArrayLike<number>[]) => rows.flatMap((row) => Array.from(row));
  assertClose(flat(perBatch.state.squaredGradientSum!), flat(direct.state.squaredGradientSum!), 1e-6);
  assertClose(update(perBatch.state, { batchSize: 2 }).weights, update(direct.state).weights, 1e-6);
  assert.throws(() => update(excessMtl.init(context, options), { batchSize: 4 }), (e: Error & { code?: string }) => e.code === 'weighting.bad_representation');
});
