import { test } from 'node:test';
import { gradientNormalization as gradNorm } from '../../src/weighting/gradNorm.js';
import { assertClose } from '../linalg/assertions.js';
import { examples, run, runSteps } from './helpers.js';

test('gradnorm: hand-computed first two steps (orthogonal gradients of norms 1 and 2)', () => {
  // Step 1: w = (1, 1), G = (1, 2), mean 1.5, r = (1, 1) → targets 1.5:
  // ∂L_grad/∂w = (sign(1 − 1.5)·1, sign(2 − 1.5)·2) = (−1, 2); Adam: w = (1.001, 0.999) (sum 2 kept).
  const [first, second] = runSteps(gradNorm, { rows: examples.orthogonal, losses: [1, 1] }, 2);
  assertClose(first!.weights, [1, 1], 0);
  assertClose(second!.weights, [1.001, 0.999], 1e-9);
});

test('gradnorm: weights converge to equal weighted gradient norms (3 tasks)', () => {
  const rows = [[4, 0, 0], [0, 1, 0], [0, 0, 2]];
  let out = run(gradNorm, { rows, losses: [1, 1, 1], options: { learningRate: 0.01 } });
  for (let k = 0; k < 2000; k++) out = run(gradNorm, { rows, losses: [1, 1, 1], options: { learningRate: 0.01 }, state: out.state });
  // Equal training rates (r = 1): the fixed point has w_t‖g_t‖ equal, w ∝ (1/4, 1, 1/2) with Σ w = 3,
  // up to Adam's jitter (~ the learning rate).
  assertClose(out.state.weights, [3 / 7, 12 / 7, 6 / 7], 0.03);
  assertClose(out.state.weights.reduce((s, v) => s + v, 0), 3, 1e-9);
});

test('gradnorm: huge scale gap: the large-gradient task is down-weighted, weights stay positive', () => {
  const rows = [[1000, 0], [0, 0.001]];
  let out = run(gradNorm, { rows, losses: [1, 1], options: { learningRate: 0.01 } });
  for (let k = 0; k < 300; k++) out = run(gradNorm, { rows, losses: [1, 1], options: { learningRate: 0.01 }, state: out.state });
  assertClose(out.state.weights.reduce((s, v) => s + v, 0), 2, 1e-9);
  if (!(out.state.weights[0]! < 0.1 && out.state.weights[0]! > 0)) throw new Error(`weights ${out.state.weights}`);
});

test('gradnorm: a slower task (higher L/L(0)) gets a larger target', () => {
  // Steps 1-2 record L(0) = (1, 1) with G on target (zero gradient, w stays 1). Step 3 with L = (1, 0.25):
  // r = (1, 0.25)/0.625 = (1.6, 0.4), α = 1.5; w = (1, 1), G = (1, 1): targets 1.6^1.5 = 2.02 > 1 and
  // 0.4^1.5 = 0.25 < 1 → grads (−1, +1). Adam at its 3rd step with zero moments so far:
  // m̂ = 0.1g/(1 − 0.9³), v̂ = 0.001g²/(1 − 0.999³) → step lr·(0.1/0.271)/sqrt(0.001/0.002997001).
  const [, second] = runSteps(gradNorm, { rows: [[1, 0], [0, 1]], losses: [1, 1] }, 2);
  const third = run(gradNorm, { rows: [[1, 0], [0, 1]], losses: [1, 0.25], state: second!.state });
  const move = (0.001 * (0.1 / 0.271)) / Math.sqrt(0.001 / (1 - Math.pow(0.999, 3)));
  assertClose(third.state.weights, [1 + move, 1 - move], 1e-10);
  if (!(third.state.weights[0]! > third.state.weights[1]!)) throw new Error('slower task not up-weighted');
});
