import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from '../../src/linalg/solve.js';
import { matVec } from '../../src/linalg/matrix.js';
import { MtlError } from '../../src/errors.js';
import { Random } from '../../src/random/random.js';
import { assertClose } from './assertions.js';

test('solve: a hand-computed 2×2 system', () => {
  // 2x + y = 3, x + 3y = 5 → x = 0.8, y = 1.4.
  assertClose(solve([[2, 1], [1, 3]], [3, 5]), [0.8, 1.4], 1e-14);
});

test('solve: needs pivoting (zero leading entry)', () => {
  // 0x + y = 2, x + y = 3 → x = 1, y = 2.
  assertClose(solve([[0, 1], [1, 1]], [2, 3]), [1, 2], 1e-14);
});

test('solve: random well-conditioned systems have a tiny residual', () => {
  const r = new Random(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + (trial % 6);
    const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => r.normal() + (i === j ? 3 : 0)));
    const b = Array.from({ length: n }, () => r.normal());
    const x = solve(a, b);
    assertClose(matVec(a, x), b, 1e-11);
  }
});

test('solve: a singular matrix throws linalg.singular_matrix', () => {
  assert.throws(
    () => solve([[1, 2], [2, 4]], [1, 2]),
    (e: unknown) => e instanceof MtlError && e.code === 'linalg.singular_matrix',
  );
});

test('solve: shape mismatch throws linalg.shape', () => {
  assert.throws(() => solve([[1, 2]], [1]), (e: unknown) => e instanceof MtlError && e.code === 'linalg.shape');
});
