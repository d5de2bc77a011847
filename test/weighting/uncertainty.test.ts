import { test } from 'node:test';
import { uncertaintyWeighting } from '../../src/weighting/uncertainty.js';
import { assertClose } from '../linalg/assertions.js';
import { lossRun } from './lossMethods.helpers.js';

test('uncertainty: initial weights ½e^{0.5}; the first Adam step moves s by −lr·sign(∂/∂s)', () => {
  const out = lossRun(uncertaintyWeighting, [2, 0.1]);
  assertClose(out.weights, [0.5 * Math.exp(0.5), 0.5 * Math.exp(0.5)], 1e-14);
  // ∂/∂s = ½(1 − e^{−s} L): task 0: ½(1 − e^{0.5}·2) < 0 → s up; task 1: ½(1 − 0.165) > 0 → s down.
  // Adam's first step is lr·m̂/(√v̂ + ε) = lr·sign(g) (to 1e-8 relative).
  assertClose(out.state.logVariances, [-0.5 + 0.001, -0.5 - 0.001], 1e-10);
});

test('uncertainty: with constant losses s converges to log L (the minimiser of ½e^{−s}L + ½s), huge scale gap', () => {
  const losses = [1e3, 1e-3, 1];
  let out = lossRun(uncertaintyWeighting, losses, { learningRate: 0.05, initialLogVariance: 0 });
  for (let k = 0; k < 6000; k++) out = lossRun(uncertaintyWeighting, losses, { learningRate: 0.05, initialLogVariance: 0 }, out.state);
  assertClose(out.state.logVariances, losses.map(Math.log), 1e-3);
  // Then w_t = ½e^{−s_t} = 1/(2L_t): every weighted loss is ½.
  assertClose(out.weights.map((w, t) => w * losses[t]!), [0.5, 0.5, 0.5], 1e-3);
});
