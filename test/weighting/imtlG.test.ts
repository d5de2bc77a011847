import { test } from 'node:test';
import { impartialGradient as imtlG } from '../../src/weighting/imtlG.js';
import { assertClose, randomRows } from '../linalg/assertions.js';
import { combine, examples, projections, run } from './helpers.js';

test('imtl-g: two tasks, hand-computed: α₂ = g₁·(u₁ − u₂) / ((g₁ − g₂)·(u₁ − u₂))', () => {
  // conflicting: u₂ = (−1, 2)/√5; g₁·(u₁ − u₂) = 1 + 1/√5; (g₁ − g₂)·(u₁ − u₂) = 1.5(1 + 1/√5) + 2/√5.
  const s = 1 / Math.sqrt(5);
  const a2 = (1 + s) / (1.5 * (1 + s) + 2 * s);
  assertClose(run(imtlG, { rows: examples.conflicting }).weights, [1 - a2, a2], 1e-14);
  assertClose(a2, 0.4721359549995794, 1e-15); // numpy, from the defining linear system
  // aligned g₁ = (2,0), g₂ = (1,1): α = (√2 − 1, 2 − √2) (numpy: [0.41421356, 0.58578644]).
  assertClose(run(imtlG, { rows: examples.aligned }).weights, [Math.SQRT2 - 1, 2 - Math.SQRT2], 1e-14);
  // huge gap (numpy): [1.4142115623759233e-06, 0.9999985857884375].
  assertClose(run(imtlG, { rows: examples.scaleGap }).weights, [1.4142115623759233e-6, 0.9999985857884375], 1e-12);
});

test('imtl-g: three tasks (numpy reference from the defining system) and equal projections on unit gradients', () => {
  assertClose(run(imtlG, { rows: examples.three }).weights, [0.34064896575539044, 0.3956046944038591, 0.2637463398407504], 1e-12);
  for (let seed = 0; seed < 10; seed++) {
    const rows = randomRows(800 + seed, 2 + (seed % 4), 6);
    const w = run(imtlG, { rows }).weights;
    assertClose(w.reduce((s, v) => s + v, 0), 1, 1e-12);
    const d = combine(rows, w);
    const p = projections(rows, d).map((v, t) => v / Math.hypot(...rows[t]!));
    assertClose(p, p.map(() => p[0]!), 1e-9);
  }
});

test('imtl-g: degenerate: a zero gradient gets weight 0; identical gradients regularised (1e-8 I) to (1, 0)', () => {
  assertClose(run(imtlG, { rows: examples.zero }).weights, [1, 0], 0);
  assertClose(run(imtlG, { rows: examples.identical }).weights, [1, 0], 1e-12);
  assertClose(run(imtlG, { rows: [[0, 0], [0, 0]] }).weights, [0.5, 0.5], 0);
});
