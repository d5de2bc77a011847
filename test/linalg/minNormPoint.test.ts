import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minNormPoint, minNormOfTwo } from '../../src/linalg/minNormPoint.js';
import { quadraticForm } from '../../src/linalg/matrix.js';
import { assertClose, randomGramian } from './assertions.js';
import { assertSimplexKKT } from './kkt.js';

test('minNormPoint: two tasks in closed form', () => {
  // g1 = (1,0), g2 = (0,2): γ = (4 − 0)/(1 + 4 − 0) = 0.8.
  assertClose(minNormPoint([[1, 0], [0, 4]]), [0.8, 0.2], 1e-15);
  // Orthogonal, equal norms: ½, ½.
  assertClose(minNormPoint([[1, 0], [0, 1]]), [0.5, 0.5], 1e-15);
  // g2 = 2 g1: g1 is the min-norm point. Reference clipping gives 0.999; exact gives 1.
  assertClose(minNormPoint([[1, 2], [2, 4]]), [0.999, 0.001], 1e-15);
  assertClose(minNormPoint([[1, 2], [2, 4]], { algorithm: 'exact' }), [1, 0], 1e-15);
  assertClose(minNormOfTwo(4, 2, 1).gamma, 0.001, 0);
  assert.deepEqual(minNormPoint([[3]]), [1]);
});

test('minNormPoint: three tasks, hand-computed (g1 = (1,0), g2 = (0,1), g3 = (1,1))', () => {
  // The best pair is (g1, g2) at (½, ½) with cost ½; g3 has g3·d = 1 ≥ ½, so the pair is optimal.
  const m = [[1, 0, 1], [0, 1, 1], [1, 1, 2]];
  // The reference Frank-Wolfe keeps nudging by its 0.001 clipping, so it is only close.
  assertClose(minNormPoint(m), [0.5, 0.5, 0], 1e-3);
  assertClose(minNormPoint(m, { algorithm: 'exact' }), [0.5, 0.5, 0], 1e-15);
});

test('minNormPoint: exact solver matches a brute-force grid over the 3-simplex', () => {
  for (let seed = 0; seed < 10; seed++) {
    const m = randomGramian(300 + seed, 3, 4);
    const exact = minNormPoint(m, { algorithm: 'exact' });
    assertSimplexKKT(m, [0, 0, 0], exact, 1e-10);
    let best = Infinity;
    const steps = 300;
    for (let i = 0; i <= steps; i++) {
      for (let j = 0; i + j <= steps; j++) best = Math.min(best, quadraticForm(m, [i / steps, j / steps, (steps - i - j) / steps]));
    }
    const value = quadraticForm(m, exact);
    assert.ok(value <= best + 1e-12, `exact ${value} > grid ${best}`);
    assert.ok(best - value < 1e-3 * (1 + best), 'grid and exact far apart');
  }
});

test('minNormPoint: Frank-Wolfe (reference) reaches the min norm closely', () => {
  for (let seed = 0; seed < 20; seed++) {
    const t = 3 + (seed % 4);
    const m = randomGramian(400 + seed, t, t + 2);
    const fw = minNormPoint(m);
    const exact = minNormPoint(m, { algorithm: 'exact' });
    assertClose(fw.reduce((s, v) => s + v, 0), 1, 1e-12);
    assert.ok(fw.every((v) => v >= 0));
    const gap = quadraticForm(m, fw) - quadraticForm(m, exact);
    const scale = Math.max(...m.map((row, i) => row[i]!));
    assert.ok(gap >= -1e-12 && gap < 2e-3 * scale, `FW gap ${gap} (scale ${scale})`);
  }
});
