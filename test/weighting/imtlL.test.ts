import { test } from 'node:test';
import { impartialLossScaling } from '../../src/weighting/imtlL.js';
import { assertClose } from '../linalg/assertions.js';
import { lossRun } from './lossMethods.helpers.js';

test('imtl-l: initial weights 1; the first Adam step moves s by −lr·sign(e^s L − 1)', () => {
  const out = lossRun(impartialLossScaling, [2, 0.5, 1]);
  assertClose(out.weights, [1, 1, 1], 0);
  // e^0·2 − 1 > 0 → s down; 0.5 − 1 < 0 → s up; 1 − 1 = 0 → Adam step 0.
  assertClose(out.state.scales, [-0.001, 0.001, 0], 1e-10);
});

test('imtl-l: with constant losses the scaled losses e^s L go to 1 (s → −log L), huge scale gap', () => {
  const losses = [1e3, 1e-3];
  let out = lossRun(impartialLossScaling, losses, { learningRate: 0.05 });
  for (let k = 0; k < 6000; k++) out = lossRun(impartialLossScaling, losses, { learningRate: 0.05 }, out.state);
  assertClose(out.state.scales, losses.map((l) => -Math.log(l)), 1e-3);
  assertClose(out.weights.map((w, t) => w * losses[t]!), [1, 1], 1e-3);
});
