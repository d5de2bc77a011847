import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeLinearPlusNorm } from '../../src/linalg/minimizeLinearPlusNorm.js';
import { matVec, quadraticForm } from '../../src/linalg/matrix.js';
import { Random } from '../../src/random/random.js';
import { assertClose, randomGramian } from './assertions.js';

const objective = (m: number[][], b: number[], k: number, w: number[]) =>
  w.reduce((s, v, i) => s + v * b[i]!, 0) + k * Math.sqrt(Math.max(quadraticForm(m, w), 0));

test('minimizeLinearPlusNorm: symmetric problem → the centroid', () => {
  assertClose(minimizeLinearPlusNorm([[1, 0], [0, 1]], [0.5, 0.5], 0.1).w, [0.5, 0.5], 1e-12);
});

test('minimizeLinearPlusNorm: two tasks, hand-computed', () => {
  // M = diag(1, 4), b = (0, 0), k = 1: min sqrt(w1² + 4w2²) → the min-norm point (0.8, 0.2).
  assertClose(minimizeLinearPlusNorm([[1, 0], [0, 4]], [0, 0], 1).w, [0.8, 0.2], 1e-12);
  // k = 0: pure linear program → the vertex of the smallest b.
  assertClose(minimizeLinearPlusNorm([[1, 0], [0, 4]], [3, 1], 0).w, [0, 1], 0);
  // M = I, b = (0, 1), k = 1: f(w1) = (1 − w1) + sqrt(w1² + (1 − w1)²). f'(w1) = −1 + (2w1 − 1)/n = 0
  // with n = sqrt(2w1² − 2w1 + 1): (2w1 − 1)² = 2w1² − 2w1 + 1 → 2w1² − 2w1 = 0 → w1 = 1 (at the vertex,
  // f'(1) = −1 + 1 = 0). So w = (1, 0).
  assertClose(minimizeLinearPlusNorm([[1, 0], [0, 1]], [0, 1], 1).w, [1, 0], 1e-7);
});

test('minimizeLinearPlusNorm: random problems meet the KKT conditions and beat random points', () => {
  const r = new Random(13);
  for (let trial = 0; trial < 40; trial++) {
    const n = 2 + (trial % 5);
    const m = randomGramian(500 + trial, n, n + 1);
    const b = matVec(m, new Array<number>(n).fill(1 / n));
    const k = 0.1 + r.next();
    const { w, norm } = minimizeLinearPlusNorm(m, b, k);
    assertClose(w.reduce((s, v) => s + v, 0), 1, 1e-12);
    assert.ok(w.every((v) => v >= 0));
    // ∇f = b + k M w / ‖g_w‖: equal on the support, not smaller off it.
    const mw = matVec(m, w);
    const grad = b.map((v, i) => v + (k * mw[i]!) / norm);
    const mu = Math.min(...grad);
    const scale = 1 + Math.max(...grad.map(Math.abs));
    w.forEach((v, i) => {
      if (v > 1e-9) assert.ok(grad[i]! - mu < 1e-8 * scale, `KKT at ${i}: ${grad[i]} vs ${mu}`);
    });
    const best = objective(m, b, k, w);
    for (let s = 0; s < 50; s++) {
      const y = Array.from({ length: n }, () => -Math.log(1 - r.next()));
      const total = y.reduce((acc, v) => acc + v, 0);
      assert.ok(objective(m, b, k, y.map((v) => v / total)) >= best - 1e-12);
    }
  }
});
