import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectOntoSimplex } from '../../src/linalg/projectOntoSimplex.js';
import { Random } from '../../src/random/random.js';
import { assertClose } from './assertions.js';

test('projectOntoSimplex: hand-computed projections', () => {
  assertClose(projectOntoSimplex([0.5, 0.5, 0.5]), [1 / 3, 1 / 3, 1 / 3], 1e-15);
  assertClose(projectOntoSimplex([2, 0]), [1, 0], 1e-15);
  // (0.3, 0.2): θ = (0.5 − 1)/2 = −0.25 → (0.55, 0.45).
  assertClose(projectOntoSimplex([0.3, 0.2]), [0.55, 0.45], 1e-15);
  // (1, 0.8, −3): ρ = 2, θ = (1.8 − 1)/2 = 0.4 → (0.6, 0.4, 0).
  assertClose(projectOntoSimplex([1, 0.8, -3]), [0.6, 0.4, 0], 1e-15);
  // A point of the simplex is its own projection.
  assertClose(projectOntoSimplex([0.2, 0.3, 0.5]), [0.2, 0.3, 0.5], 1e-15);
  assertClose(projectOntoSimplex([3, 1], 2), [2, 0], 1e-15);
});

test('projectOntoSimplex: random points satisfy the projection inequality (v − x)·(y − x) ≤ 0', () => {
  const r = new Random(11);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + (trial % 6);
    const v = Array.from({ length: n }, () => 3 * r.normal());
    const x = projectOntoSimplex(v);
    assert.ok(x.every((xi) => xi >= 0));
    assertClose(x.reduce((s, xi) => s + xi, 0), 1, 1e-12);
    for (let k = 0; k < 20; k++) {
      const y = projectOntoSimplex(Array.from({ length: n }, () => r.next()));
      const inner = v.reduce((s, vi, i) => s + (vi - x[i]!) * (y[i]! - x[i]!), 0);
      assert.ok(inner <= 1e-12, `inner product ${inner}`);
    }
  }
});
