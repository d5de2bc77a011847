import { test } from 'node:test';
import { fairGrad } from '../../src/weighting/fairGrad.js';
import { nashMtl } from '../../src/weighting/nashMtl.js';
import { matVec } from '../../src/linalg/matrix.js';
import { gramianOf } from '../../src/linalg/matrix.js';
import { assertClose, randomRows } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

test('fairgrad: α = 1 is Nash-MTL (proportional fairness)', () => {
  for (const rows of [examples.conflicting, examples.three, examples.scaleGap]) {
    assertClose(run(fairGrad, { rows }).weights, run(nashMtl, { rows }).weights, 1e-9);
  }
});

test('fairgrad: α = 2, golden values (scipy least_squares on Mw − w^{−1/2})', () => {
  assertClose(run(fairGrad, { rows: examples.conflicting, options: { fairness: 2 } }).weights, [1.4706352347146743, 1.2920545731168303], 1e-9);
  assertClose(run(fairGrad, { rows: examples.three, options: { fairness: 2 } }).weights, [1.3996756883736756, 1.5632230357651704, 1.1359399586524401], 1e-9);
  // Hand: orthogonal, M = diag(1, 4): m w = w^{−1/2} → w = m^{−2/3}.
  assertClose(run(fairGrad, { rows: examples.orthogonal, options: { fairness: 2 } }).weights, [1, Math.pow(4, -2 / 3)], 1e-12);
});

test('fairgrad: the defining equation Mw = w^{−1/α} holds to 1e-9 on random problems', () => {
  for (let seed = 0; seed < 10; seed++) {
    const rows = randomRows(900 + seed, 2 + (seed % 4), 6);
    for (const alpha of [0.5, 1, 3, 10]) {
      const w = run(fairGrad, { rows, options: { fairness: alpha } }).weights;
      const mw = matVec(gramianOf(rows), w);
      assertClose(mw.map((v, t) => v / Math.pow(w[t]!, -1 / alpha)), mw.map(() => 1), 1e-9);
    }
  }
});
