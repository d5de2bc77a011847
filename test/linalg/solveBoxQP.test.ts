import { test } from 'node:test';
import { solveBoxQP } from '../../src/linalg/solveBoxQP.js';
import { Random } from '../../src/random/random.js';
import { assertClose, randomGramian } from './assertions.js';
import { assertBoxKKT } from './kkt.js';

test('solveBoxQP: hand-computed solutions', () => {
  // min ½(x1² + x2²) s.t. x ≥ (1, −1) → (1, 0).
  assertClose(solveBoxQP([[1, 0], [0, 1]], [0, 0], [1, -1]).x, [1, 0], 1e-15);
  // min ½xᵀ[[2,1],[1,2]]x s.t. x ≥ (1, 0): x1 = 1 on the bound; x2 free: 2x2 + 1 = 0 → −0.5 < 0, so x2 = 0 too
  // and the multipliers (2, 1) ≥ 0.
  assertClose(solveBoxQP([[2, 1], [1, 2]], [0, 0], [1, 0]).x, [1, 0], 1e-15);
  // min ½xᵀ[[1,-1],[-1,2]]x s.t. x ≥ (1, 0): x2 free: −x1 + 2x2 = 0 → x2 = 0.5; multiplier of x1: 1 − 0.5 = 0.5 ≥ 0.
  assertClose(solveBoxQP([[1, -1], [-1, 2]], [0, 0], [1, 0]).x, [1, 0.5], 1e-15);
  // Unconstrained minimiser inside the box: Q = I, c = (−2, −3), lower = 0 → (2, 3).
  assertClose(solveBoxQP([[1, 0], [0, 1]], [-2, -3], [0, 0]).x, [2, 3], 1e-14);
});

test('solveBoxQP: random positive-definite and singular problems meet the KKT conditions', () => {
  const r = new Random(5);
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + (trial % 6);
    const d = trial % 3 === 0 ? Math.max(1, n - 2) : n + 3; // every third case is rank-deficient
    const q = randomGramian(100 + trial, n, d);
    const lower = Array.from({ length: n }, () => r.normal());
    const c = trial % 2 === 0 ? new Array<number>(n).fill(0) : Array.from({ length: n }, () => 0.1 * r.normal());
    // With c ≠ 0 and a singular Q the problem can be unbounded; keep c in the range of Q by using Q·z.
    const cc = trial % 3 === 0 ? q.map((row) => row.reduce((s, v, j) => s + v * (c[j] ?? 0), 0)) : c;
    const { x, converged } = solveBoxQP(q, cc, lower);
    if (!converged) throw new Error('did not converge');
    assertBoxKKT(q, cc, lower, x, 1e-10);
  }
});
