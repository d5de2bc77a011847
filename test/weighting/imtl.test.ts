import { test } from 'node:test';
import { impartialMultitask as imtl } from '../../src/weighting/imtl.js';
import { impartialGradient as imtlG } from '../../src/weighting/imtlG.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run } from './helpers.js';

test('imtl: the first step (scales 0) is IMTL-G; later steps are α(scaled Gramian)·e^s', () => {
  const first = run(imtl, { rows: examples.three, losses: [2, 0.5, 1] });
  assertClose(first.weights, run(imtlG, { rows: examples.three }).weights, 0);
  // Scales after one Adam step: −lr·sign(e^0 L − 1) = (−0.001, +0.001, 0).
  assertClose(first.state.scales, [-0.001, 0.001, 0], 1e-10);
  const second = run(imtl, { rows: examples.three, losses: [2, 0.5, 1], state: first.state });
  const e = first.state.scales.map(Math.exp);
  const scaledRows = examples.three.map((row, t) => row.map((v) => v * e[t]!));
  const alpha = run(imtlG, { rows: scaledRows }).weights;
  assertClose(second.weights, alpha.map((a, t) => a * e[t]!), 1e-12);
});

test('imtl: two tasks with a huge loss-scale gap converge to scaled losses of 1', () => {
  let out = run(imtl, { rows: examples.conflicting, losses: [1e3, 1e-3], options: { learningRate: 0.05 } });
  for (let k = 0; k < 6000; k++) out = run(imtl, { rows: examples.conflicting, losses: [1e3, 1e-3], options: { learningRate: 0.05 }, state: out.state });
  assertClose(out.state.scales, [-Math.log(1e3), -Math.log(1e-3)], 1e-3);
});
