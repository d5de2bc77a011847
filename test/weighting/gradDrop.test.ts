import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/training/random.js';
import { gradientSignDropout as gradDrop } from '../../src/weighting/gradDrop.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

test('graddrop: coordinates where all tasks agree in sign are summed (P = 1 or 0)', () => {
  // aligned (2,0), (1,1): both coordinates have one sign (or 0) → the sum (3, 1).
  assertClose(Array.from(run(gradDrop, { rows: examples.aligned }).direction!), [3, 1], 1e-6);
  assertClose(Array.from(run(gradDrop, { rows: examples.identical }).direction!), [2, 2], 1e-6);
  assertClose(Array.from(run(gradDrop, { rows: examples.zero }).direction!), [1, 2], 1e-6);
  // Three tasks, coordinate 2 only has task 3 → its gradient.
  assert.equal(run(gradDrop, { rows: examples.three }).direction![2], 1);
});

test('graddrop: a conflicting coordinate keeps one sign, the positive one with probability P = ½(1 + Σg/Σ|g|)', () => {
  // Coordinate 0 of the conflicting pair: (1, −0.5): P = ½(1 + 0.5/1.5) = 2/3 → 1 (w.p. 2/3) or −0.5.
  let state = undefined as ReturnType<typeof gradDrop.init> | undefined;
  let positive = 0;
  const n = 3000;
  for (let k = 0; k < n; k++) {
    const out = run(gradDrop, { rows: examples.conflicting, ...(state ? { state } : {}) });
    state = out.state;
    const d0 = out.direction![0]!;
    assert.ok(d0 === 1 || d0 === -0.5, `got ${d0}`);
    if (d0 === 1) positive++;
    assert.equal(out.direction![1], 1);
  }
  assertClose(positive / n, 2 / 3, 0.03);
});

test('graddrop: leak 1 is the plain sum; huge scale gap keeps the dominant sign', () => {
  assertClose(Array.from(run(gradDrop, { rows: examples.conflicting, options: { leak: 1 } }).direction!), [0.5, 1], 1e-7);
  // Coordinate 0 of the gap pair: (1000, −0.001): P ≈ 1 − 1e-6 → almost surely 1000.
  assertClose(Array.from(run(gradDrop, { rows: examples.scaleGap }).direction!)[0]!, 1000, 1e-3);
});

test('graddrop: every task count gives, to the bit, the per-coordinate rule with one draw per coordinate in order', () => {
  // The method holds up to three rows in locals (zeros padding fewer) and reads more with
  // a stride; this is the rule written plainly, with the same generator.
  const r = new Random(3);
  const d = 5000;
  for (const t of [1, 2, 3, 4, 5]) {
    for (const leak of [0, 0.3]) {
      const rows = Array.from({ length: t }, () => Array.from({ length: d }, (_, k) => (k % 7 === 0 ? 0 : k % 11 === 0 ? -0 : r.normal())));
      const out = run(gradDrop, { rows, options: { leak }, seed: 9 });
      const draws = new Random(gradDrop.init({ taskNames: rows.map((_, i) => `t${i}`), seed: 9 }, { leak }).random);
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
