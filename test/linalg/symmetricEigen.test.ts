import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symmetricEigen } from '../../src/linalg/symmetricEigen.js';
import { Random } from '../../src/random/random.js';
import { assertClose, randomGramian } from './assertions.js';

test('symmetricEigen: [[2,1],[1,2]] has eigenvalues 3 and 1 with vectors (1,±1)/√2', () => {
  const { values, vectors } = symmetricEigen([[2, 1], [1, 2]]);
  assertClose(values, [3, 1], 1e-14);
  const s = Math.SQRT1_2;
  assertClose(vectors[0]!.map(Math.abs), [s, s], 1e-14);
  assert.ok(Math.abs(vectors[1]![0]! + vectors[1]![1]!) < 1e-14);
});

test('symmetricEigen: diagonal and zero matrices', () => {
  assertClose(symmetricEigen([[1, 0, 0], [0, 5, 0], [0, 0, 3]]).values, [5, 3, 1], 0);
  assertClose(symmetricEigen([[0, 0], [0, 0]]).values, [0, 0], 0);
});

test('symmetricEigen: random symmetric matrices are reconstructed with orthonormal vectors', () => {
  const r = new Random(3);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + (trial % 7);
    const a = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i]![j] = a[j]![i] = r.normal();
    const { values, vectors } = symmetricEigen(a);
    for (let k = 1; k < n; k++) assert.ok(values[k - 1]! >= values[k]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rebuilt = 0;
        let inner = 0;
        for (let k = 0; k < n; k++) {
          rebuilt += values[k]! * vectors[k]![i]! * vectors[k]![j]!;
          inner += vectors[i]![k]! * vectors[j]![k]!;
        }
        assertClose(rebuilt, a[i]![j]!, 1e-12, `A[${i}][${j}]`);
        assertClose(inner, i === j ? 1 : 0, 1e-12, `VᵀV[${i}][${j}]`);
      }
    }
  }
});

test('symmetricEigen: a rank-one Gramian has one non-zero eigenvalue', () => {
  const g = [1, 2, 3];
  const m = g.map((x) => g.map((y) => x * y));
  assertClose(symmetricEigen(m).values, [14, 0, 0], 1e-12);
  assert.ok(symmetricEigen(randomGramian(1, 5, 2)).values[2]! < 1e-12);
});
