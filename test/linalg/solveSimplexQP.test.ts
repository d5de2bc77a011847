import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solveSimplexQP } from '../../src/linalg/solveSimplexQP.js';
import { quadraticForm } from '../../src/linalg/matrix.js';
import { Random } from '../../src/random/random.js';
import { assertClose, randomGramian } from './assertions.js';
import { assertSimplexKKT } from './kkt.js';

test('solveSimplexQP: hand-computed solutions', () => {
  // min ½(x1² + 4x2²), x1 + x2 = 1 → x1 = 4x2 → (0.8, 0.2).
  assertClose(solveSimplexQP([[1, 0], [0, 4]], [0, 0]).x, [0.8, 0.2], 1e-15);
  // A vertex: min ½‖x‖² + (0, 5)·x → x2 = 0 (multiplier 5 + 0 − 1 > 0), x = (1, 0).
  assertClose(solveSimplexQP([[1, 0], [0, 1]], [0, 5]).x, [1, 0], 1e-15);
  // Three orthonormal gradients: the centroid.
  assertClose(solveSimplexQP([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]).x, [1 / 3, 1 / 3, 1 / 3], 1e-15);
  // g1 = (1,0), g2 = (0,1), g3 = (1,1): the min-norm point is (½, ½, 0) with norm² ½.
  const m = [[1, 0, 1], [0, 1, 1], [1, 1, 2]];
  assertClose(solveSimplexQP(m, [0, 0, 0]).x, [0.5, 0.5, 0], 1e-15);
  // Linear term only (Q = 0): the vertex of the smallest c.
  assertClose(solveSimplexQP([[0, 0], [0, 0]], [2, 1]).x, [0, 1], 1e-15);
});

test('solveSimplexQP: random (also rank-deficient) problems meet the KKT conditions and beat random feasible points', () => {
  const r = new Random(9);
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + (trial % 7);
    const d = trial % 3 === 0 ? 1 + (trial % 2) : n + 2;
    const q = randomGramian(200 + trial, n, d);
    const c = trial % 2 === 0 ? new Array<number>(n).fill(0) : Array.from({ length: n }, () => r.normal());
    const { x, converged } = solveSimplexQP(q, c);
    assert.ok(converged);
    assertSimplexKKT(q, c, x, 1e-10);
    const f = (w: number[]) => 0.5 * quadraticForm(q, w) + w.reduce((s, v, i) => s + v * c[i]!, 0);
    const best = f(x);
    for (let k = 0; k < 50; k++) {
      const y = Array.from({ length: n }, () => -Math.log(1 - r.next()));
      const total = y.reduce((s, v) => s + v, 0);
      assert.ok(f(y.map((v) => v / total)) >= best - 1e-12);
    }
  }
});
