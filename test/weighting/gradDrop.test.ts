import { test } from 'node:test';
import assert from 'node:assert/strict';
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
