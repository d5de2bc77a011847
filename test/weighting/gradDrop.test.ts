import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/random/random.js';
import { gradientSignDropout as gradDrop } from '../../src/weighting/gradDrop.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

/** The sign-dropping rule alone, without the default rescaling to the plain sum's norm. */
const raw = { keepGradientNorm: false };

test('graddrop: coordinates where all tasks agree in sign are summed (P = 1 or 0)', () => {
  // aligned (2,0), (1,1): both coordinates have one sign (or 0) → the sum (3, 1).
  assertClose(Array.from(run(gradDrop, { rows: examples.aligned }).direction!), [3, 1], 1e-6);
  assertClose(Array.from(run(gradDrop, { rows: examples.identical }).direction!), [2, 2], 1e-6);
  assertClose(Array.from(run(gradDrop, { rows: examples.zero }).direction!), [1, 2], 1e-6);
  // Three tasks, coordinate 2 only has task 3 → its gradient.
  assert.equal(run(gradDrop, { rows: examples.three, options: raw }).direction![2], 1);
});

test('graddrop: a conflicting coordinate keeps one sign, the positive one with probability P = ½(1 + Σg/Σ|g|)', () => {
  // Coordinate 0 of the conflicting pair: (1, −0.5): P = ½(1 + 0.5/1.5) = 2/3 → 1 (w.p. 2/3) or −0.5.
  let state = undefined as ReturnType<typeof gradDrop.init> | undefined;
  let positive = 0;
  const n = 3000;
  for (let k = 0; k < n; k++) {
    const out = run(gradDrop, { rows: examples.conflicting, options: raw, ...(state ? { state } : {}) });
    state = out.state;
    const d0 = out.direction![0]!;
    assert.ok(d0 === 1 || d0 === -0.5, `got ${d0}`);
    if (d0 === 1) positive++;
    assert.equal(out.direction![1], 1);
  }
  assertClose(positive / n, 2 / 3, 0.03);
});

test('graddrop: leak 1 is the plain sum; huge scale gap keeps the dominant sign', () => {
  assertClose(Array.from(run(gradDrop, { rows: examples.conflicting, options: { leak: 1, ...raw } }).direction!), [0.5, 1], 1e-7);
  // Coordinate 0 of the gap pair: (1000, −0.001): P ≈ 1 − 1e-6 → almost surely 1000.
  assertClose(Array.from(run(gradDrop, { rows: examples.scaleGap, options: raw }).direction!)[0]!, 1000, 1e-3);
});

test('graddrop: every task count gives, to the bit, the per-coordinate rule with one draw per coordinate in order', () => {
  // The method holds up to three rows in locals (zeros padding fewer) and reads more with
  // a stride; this is the rule written plainly, with the same generator.
  const r = new Random(3);
  const d = 5000;
  for (const t of [1, 2, 3, 4, 5]) {
    for (const leak of [0, 0.3]) {
      const rows = Array.from({ length: t }, () => Array.from({ length: d }, (_, k) => (k % 7 === 0 ? 0 : k % 11 === 0 ? -0 : r.normal())));
      const out = run(gradDrop, { rows, options: { leak, ...raw }, seed: 9 });
      const draws = new Random(gradDrop.init({ taskNames: rows.map((_, i) => `t${i}`), seed: 9 }, { leak, sumOverBatch: true, keepGradientNorm: false }).random);
      const g = rows.map((row) => Float32Array.from(row));
      for (let k = 0; k < d; k++) {
        let total = 0;
        let absolute = 0;
        for (const row of g) {
          total += row[k]!;
          absolute += Math.abs(row[k]!);
        }
        const p = 0.5 * (1 + total / (absolute + 1e-7));
        const u = draws.next();
        let expected = 0;
        for (const row of g) {
          const mask = (p > u && row[k]! > 0) || (p < u && row[k]! < 0) ? 1 : 0;
          expected += row[k]! * (leak + (1 - leak) * mask);
        }
        assert.ok(Object.is(out.direction![k], Math.fround(expected)), `T=${t} leak ${leak} k=${k}: ${out.direction![k]} vs ${Math.fround(expected)}`);
      }
      assert.deepEqual(out.state.random, draws.state());
    }
  }
});

test('graddrop: rows given as views of one buffer (as the trainer passes them) give the same direction as separate rows', () => {
  const r = new Random(4);
  const t = 4;
  const d = 300;
  const all = Float32Array.from({ length: t * d }, () => r.normal());
  const views = Array.from({ length: t }, (_, i) => all.subarray(i * d, (i + 1) * d));
  const copies = views.map((v) => v.slice());
  const context = { taskNames: ['a', 'b', 'c', 'd'], seed: 2 };
  const options = gradDrop.resolveOptions(undefined, context);
  const state = gradDrop.init(context, options);
  const input = (gradients: Float32Array[]) => ({ losses: [1, 1, 1, 1], gradients, epoch: 0, step: 0 });
  const fromViews = gradDrop.update(input(views), state, options);
  const fromCopies = gradDrop.update(input(copies), state, options);
  assert.deepEqual(fromViews.direction, fromCopies.direction);
  assert.deepEqual(fromViews.state, fromCopies.state);
  assert.deepEqual(all, Float32Array.from(views.flatMap((v) => [...v])), 'the rows are not modified');
});

// The paper's batched rule on the representation A (batch × features, batch-major):
// per feature, 𝒢_t = Σ_b sign(A[b, j]) g_t[b, j]; the mask from 𝒢, tiled over the batch.
const batched = {
  // A = [[1, −1], [2, 0]]; g1 = [[1, 2], [3, 4]]; g2 = [[−2, 1], [1, −1]].
  values: Float32Array.of(1, -1, 2, 0),
  rows: [Float32Array.of(1, 2, 3, 4), Float32Array.of(-2, 1, 1, -1)],
};

function batchedRun(options: Record<string, unknown> | undefined, state?: ReturnType<typeof gradDrop.init>, representation = { values: batched.values, batchSize: 2 }) {
  const context = { taskNames: ['a', 'b'], seed: 5 };
  const resolved = gradDrop.resolveOptions(options, context);
  return gradDrop.update({ losses: [1, 1], gradients: batched.rows, representation, epoch: 0, step: 0 }, state ?? gradDrop.init(context, resolved), resolved);
}

test('graddrop (representation, summed over the batch): hand-computed masks, one uniform per feature', () => {
  // Feature 0: 𝒢1 = 1·1 + 1·3 = 4, 𝒢2 = 1·(−2) + 1·1 = −1 → P = ½(1 + 3/5) = 0.8: task 1's
  // column (1, 3) kept where U < 0.8, else task 2's (−2, 1). Feature 1: 𝒢1 = −1·2 + 0·4 = −2,
  // 𝒢2 = −1·1 + 0·(−1) = −1 → P = 0: both negative, both kept: (2 + 1, 4 − 1) = (3, 3).
  const context = { taskNames: ['a', 'b'], seed: 5 };
  let state = gradDrop.init(context, gradDrop.resolveOptions(undefined, context));
  let first = 0;
  const n = 2000;
  for (let k = 0; k < n; k++) {
    const draws = new Random(state.random);
    const u0 = draws.next();
    draws.next();
    const out = batchedRun(raw, state);
    assert.deepEqual(out.state.random, draws.state(), 'two draws: one per feature, not per element');
    const expected = u0 < 0.8 ? [1, 3, 3, 3] : [-2, 3, 1, 3];
    assert.deepEqual(Array.from(out.direction!), expected);
    if (u0 < 0.8) first++;
    state = out.state;
  }
  assertClose(first / n, 0.8, 0.03);
});

test('graddrop (representation): leak 1 is the plain sum; sumOverBatch false is the per-element rule', () => {
  assert.deepEqual(Array.from(batchedRun({ leak: 1, ...raw }).direction!), [-1, 3, 4, 3]);
  const context = { taskNames: ['a', 'b'], seed: 5 };
  const options = gradDrop.resolveOptions({ sumOverBatch: false, ...raw }, context);
  const state = gradDrop.init(context, options);
  const withRepresentation = gradDrop.update({ losses: [1, 1], gradients: batched.rows, representation: { values: batched.values, batchSize: 2 }, epoch: 0, step: 0 }, state, options);
  const without = gradDrop.update({ losses: [1, 1], gradients: batched.rows, epoch: 0, step: 0 }, state, options);
  assert.deepEqual(withRepresentation, without);
});

test('graddrop (representation): matches the rule written plainly for 2, 3 and 5 tasks, 5 × 40 values', () => {
  // Up to three tasks and more than three run different loops.
  for (const t of [2, 3, 5]) checkPlainRule(t);
});

function checkPlainRule(t: number): void {
  const r = new Random(8 + t);
  const [batch, features] = [5, 40];
  const values = Float32Array.from({ length: batch * features }, (_, k) => (k % 9 === 0 ? 0 : r.normal()));
  const rows = Array.from({ length: t }, () => Float32Array.from({ length: batch * features }, () => r.normal()));
  const context = { taskNames: Array.from({ length: t }, (_, i) => `task${i}`), seed: 3 };
  const options = gradDrop.resolveOptions({ leak: 0.25, ...raw }, context);
  const state = gradDrop.init(context, options);
  const out = gradDrop.update({ losses: rows.map(() => 1), gradients: rows, representation: { values, batchSize: batch }, epoch: 0, step: 0 }, state, options);
  const draws = new Random(state.random);
  for (let j = 0; j < features; j++) {
    const g = rows.map((row) => {
      let s = 0;
      for (let b = 0; b < batch; b++) s += Math.sign(values[b * features + j]!) * row[b * features + j]!;
      return s;
    });
    const p = 0.5 * (1 + g.reduce((s, v) => s + v, 0) / (g.reduce((s, v) => s + Math.abs(v), 0) + 1e-7));
    const u = draws.next();
    const factor = g.map((v) => 0.25 + 0.75 * ((p > u && v > 0) || (p < u && v < 0) ? 1 : 0));
    for (let b = 0; b < batch; b++) {
      const k = b * features + j;
      const expected = rows.reduce((s, row, i) => s + row[k]! * factor[i]!, 0);
      assertClose(out.direction![k]!, expected, 1e-5);
    }
  }
}

test('graddrop (representation): a representation of the wrong size is a coded error', () => {
  assert.throws(() => batchedRun(undefined, undefined, { values: batched.values, batchSize: 3 }), (e: Error & { code?: string }) => e.code === 'weighting.bad_representation' && /batchSize 3/.test(e.message));
  assert.throws(() => batchedRun(undefined, undefined, { values: Float32Array.of(1, 2), batchSize: 2 }), (e: Error & { code?: string }) => e.code === 'weighting.bad_representation');
});

test('graddrop: by default the result is the raw rule rescaled to the norm of the plain sum Σ_t g_t', () => {
  const r = new Random(12);
  const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
  const rows = Array.from({ length: 3 }, () => Float32Array.from({ length: 60 }, () => r.normal()));
  const plain = rows[0]!.map((_, k) => rows.reduce((s, row) => s + row[k]!, 0));
  const values = Float32Array.from({ length: 60 }, () => r.normal());
  const context = { taskNames: ['a', 'b', 'c'], seed: 4 };
  for (const representation of [undefined, { values, batchSize: 6 }]) {
    const update = (options: Record<string, unknown>) => {
      const resolved = gradDrop.resolveOptions(options, context);
      return gradDrop.update({ losses: [1, 1, 1], gradients: rows, ...(representation ? { representation } : {}), epoch: 0, step: 0 }, gradDrop.init(context, resolved), resolved);
    };
    const scaled = update({}).direction!;
    const rawDirection = update(raw).direction!;
    const label = representation ? 'representation' : 'per coordinate';
    assertClose(norm(scaled), norm(plain), 1e-4 * norm(plain));
    const scale = norm(plain) / norm(rawDirection);
    assert.ok(Math.abs(scale - 1) > 1e-3, `${label}: the raw rule changed the norm (scale ${scale})`);
    for (let k = 0; k < 60; k++) assertClose(scaled[k]!, rawDirection[k]! * scale, 1e-5);
  }
});

test('graddrop (representation): the batch-summed rule without the representation values is a coded error', () => {
  const context = { taskNames: ['a', 'b'], seed: 5 };
  const options = gradDrop.resolveOptions(undefined, context);
  assert.throws(
    () => gradDrop.update({ losses: [1, 1], gradients: batched.rows, representation: { batchSize: 2 }, epoch: 0, step: 0 }, gradDrop.init(context, options), options),
    (e: Error & { code?: string }) => e.code === 'weighting.bad_representation' && /sumOverBatch/.test(e.message),
  );
});
