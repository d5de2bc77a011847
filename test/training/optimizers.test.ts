import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../../src/training/optimizers/adam.js';
import { Sgd } from '../../src/training/optimizers/sgd.js';
import { learningRateAt } from '../../src/training/schedules.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('Adam matches the hand-computed update with per-variable bias correction', () => {
  const before = tf.memory().numTensors;
  const x = tf.tidy(() => tf.variable(tf.scalar(1)));
  const y = tf.tidy(() => tf.variable(tf.scalar(1)));
  const adam = new Adam({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  const lr = 0.1;
  // Step 1 on x with g = 2: m = 0.2, v = 0.004, m̂ = 2, v̂ = 4 → x = 1 − 0.1·2/(2+1e-8).
  const g1 = tf.scalar(2);
  adam.applyGradients(new Map([[x, g1]]), lr);
  close(x.dataSync()[0]!, 1 - 0.1 * (2 / (2 + 1e-8)));
  // y was not in the step: untouched, no state.
  assert.equal(y.dataSync()[0], 1);
  assert.equal(adam.stepsOf(y), 0);
  assert.equal(adam.stepsOf(x), 1);
  // Step 2 on x with g = −1, then the FIRST step of y with g = 4: y's bias correction uses t = 1.
  const g2 = tf.scalar(-1);
  const g3 = tf.scalar(4);
  adam.applyGradients(new Map([[x, g2]]), lr);
  const m = 0.9 * 0.2 + 0.1 * -1;
  const v = 0.999 * 0.004 + 0.001 * 1;
  const mHat = m / (1 - 0.9 ** 2);
  const vHat = v / (1 - 0.999 ** 2);
  close(x.dataSync()[0]!, 1 - 0.1 * (2 / (2 + 1e-8)) - 0.1 * (mHat / (Math.sqrt(vHat) + 1e-8)), 1e-6);
  adam.applyGradients(new Map([[y, g3]]), lr);
  close(y.dataSync()[0]!, 1 - 0.1, 1e-6);
  assert.equal(adam.stepsOf(y), 1);
  // State round trip.
  const state = adam.getState();
  const restored = new Adam();
  restored.setState(state);
  assert.equal(restored.stepsOf(x), 2);
  tf.dispose([g1, g2, g3, x, y]);
  adam.dispose();
  restored.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('SGD with momentum follows PyTorch: b ← μb + g, θ ← θ − lr·b', () => {
  const x = tf.variable(tf.scalar(0));
  const sgd = new Sgd({ momentum: 0.9 });
  const g = tf.scalar(1);
  sgd.applyGradients(new Map([[x, g]]), 0.1); // b = 1 → x = −0.1
  sgd.applyGradients(new Map([[x, g]]), 0.1); // b = 1.9 → x = −0.29
  close(x.dataSync()[0]!, -0.29);
  const plain = new Sgd({ weightDecay: 0.5 });
  const w = tf.variable(tf.scalar(2));
  plain.applyGradients(new Map([[w, g]]), 0.1); // g + 0.5·2 = 2 → 2 − 0.2
  close(w.dataSync()[0]!, 1.8);
  tf.dispose([x, g, w]);
  sgd.dispose();
  plain.dispose();
});

test('AdamW decays weights decoupled from the gradient', () => {
  const x = tf.variable(tf.scalar(1));
  const adamw = new Adam({ weightDecay: 0.1, decoupled: true });
  const g = tf.scalar(0);
  adamw.applyGradients(new Map([[x, g]]), 0.5); // zero gradient: only decay, 1 − 0.5·0.1
  close(x.dataSync()[0]!, 0.95);
  tf.dispose([x, g]);
  adamw.dispose();
});

test('learning-rate schedules', () => {
  close(learningRateAt(1, { type: 'constant' }, 7, 10), 1);
  close(learningRateAt(1, { type: 'step', stepEpochs: 3, gamma: 0.5 }, 6.5, 10), 0.25);
  close(learningRateAt(1, { type: 'cosine' }, 0, 10), 1);
  close(learningRateAt(1, { type: 'cosine' }, 5, 10), 0.5);
  close(learningRateAt(1, { type: 'cosine', minLearningRate: 0.1 }, 10, 10), 0.1);
  close(learningRateAt(1, { type: 'cosine', warmupEpochs: 2 }, 1, 10), 0.5);
});
