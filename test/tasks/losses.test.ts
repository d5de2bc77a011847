import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createTask } from '../../src/tasks/createTask.js';
import { maskedMeanLoss, softmaxCrossEntropy } from '../../src/tasks/losses.js';
import { rocAuc } from '../../src/tasks/metrics.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('multiclass loss is softmax cross-entropy, hand-computed', () => {
  const before = tf.memory().numTensors;
  const task = createTask({ name: 'digit', kind: 'multiclass', classes: 3 });
  const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
  const labels = tf.tensor2d([[2], [0]]);
  const losses = tf.tidy(() => task.exampleLosses(logits, labels).arraySync());
  // −log(e³/(e¹+e²+e³)) = log(1 + e⁻¹ + e⁻²); uniform over 3 classes: log 3.
  close(losses[0]!, Math.log(1 + Math.exp(-1) + Math.exp(-2)));
  close(losses[1]!, Math.log(3));
  tf.dispose([logits, labels]);
  assert.equal(tf.memory().numTensors, before);
});

test('binary and multilabel losses are sigmoid cross-entropy, stable for large logits', () => {
  const binary = createTask({ name: 'b', kind: 'binary' });
  const l = tf.tidy(() => binary.exampleLosses(tf.tensor2d([[0], [2], [-100]]), tf.tensor2d([[1], [0], [1]])).arraySync());
  close(l[0]!, Math.log(2));
  close(l[1]!, Math.log(1 + Math.exp(2)));
  close(l[2]!, 100, 1e-3);
  const multi = createTask({ name: 'm', kind: 'multilabel', outputs: 2 });
  const m = tf.tidy(() => multi.exampleLosses(tf.tensor2d([[0, 1]]), tf.tensor2d([[1, 1]])).arraySync());
  close(m[0]!, (Math.log(2) + Math.log(1 + Math.exp(-1))) / 2);
});

test('regression loss is the squared error averaged over outputs', () => {
  const task = createTask({ name: 'r', kind: 'regression', outputs: 2 });
  const l = tf.tidy(() => task.exampleLosses(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor2d([[0, 0], [3, 1]])).arraySync());
  close(l[0]!, (1 + 4) / 2);
  close(l[1]!, (9 + 1) / 2);
});

test('masked mean: only labelled examples count; none labelled gives 0 with zero gradient', () => {
  const before = tf.memory().numTensors;
  const value = tf.tidy(() => maskedMeanLoss(tf.tensor1d([1, 5, 100]), tf.tensor1d([1, 1, 0])).dataSync()[0]!);
  close(value, 3);
  const { value: v, grads } = tf.tidy(() => {
    const x = tf.variable(tf.tensor1d([1, 2]));
    const out = tf.variableGrads(() => maskedMeanLoss(tf.mul(x, x) as tf.Tensor1D, tf.tensor1d([0, 0])), [x]);
    const r = { value: out.value.dataSync()[0]!, grads: out.grads[x.name]!.arraySync() as number[] };
    x.dispose();
    return r;
  });
  assert.equal(v, 0);
  assert.deepEqual(grads, [0, 0]);
  // A NaN placeholder in a missing example must not leak in.
  const nanSafe = tf.tidy(() => maskedMeanLoss(tf.tensor1d([2, NaN]), tf.tensor1d([1, 0])).dataSync()[0]!);
  close(nanSafe, 2);
  assert.equal(tf.memory().numTensors, before);
});

function metric(task: ReturnType<typeof createTask>, name: string, labels: number[], predictions: number[], mask: number[]) {
  const acc = task.metrics.find((m) => m.name === name)!.create();
  acc.update(Float32Array.from(labels), Float32Array.from(predictions), Float32Array.from(mask), task.labelWidth, task.outputSize);
  return acc.result();
}

test('metrics against hand-computed values', () => {
  const mc = createTask({ name: 'c', kind: 'multiclass', classes: 3 });
  // argmax: 2, 0, 1 (masked out), 1 → labels 2, 1, -, 1 → 2 of 3 correct.
  close(metric(mc, 'accuracy', [2, 1, 0, 1], [0.1, 0.2, 0.7, 0.5, 0.3, 0.2, 0.1, 0.8, 0.1, 0.2, 0.5, 0.3], [1, 1, 0, 1]), 2 / 3);
  const bin = createTask({ name: 'b', kind: 'binary', metrics: ['auc', 'accuracy', 'f1'] });
  // scores 0.9(+) 0.8(−) 0.3(+) 0.1(−): pairs (+,−): (0.9,0.8)✓ (0.9,0.1)✓ (0.3,0.8)✗ (0.3,0.1)✓ → 3/4.
  close(metric(bin, 'auc', [1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1], [1, 1, 1, 1]), 0.75);
  close(metric(bin, 'accuracy', [1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1], [1, 1, 1, 1]), 0.5);
  // tp 1 (0.9), fp 1 (0.8), fn 1 (0.3): F1 = 2/(2+1+1).
  close(metric(bin, 'f1', [1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1], [1, 1, 1, 1]), 0.5);
  const reg = createTask({ name: 'r', kind: 'regression', metrics: ['mse', 'mae', 'rmse'] });
  close(metric(reg, 'mse', [1, 2, 3], [2, 2, 100], [1, 1, 0]), 0.5);
  close(metric(reg, 'mae', [1, 2, 3], [2, 2, 100], [1, 1, 0]), 0.5);
  close(metric(reg, 'rmse', [1, 2, 3], [2, 2, 100], [1, 1, 0]), Math.sqrt(0.5));
  assert.ok(Number.isNaN(metric(reg, 'mse', [1], [2], [0])), 'no labelled example gives NaN');
  const ml = createTask({ name: 'm', kind: 'multilabel', outputs: 2 });
  // Hamming accuracy: predictions (1,0),(1,1) vs labels (1,1),(1,1) → 3 of 4.
  close(metric(ml, 'accuracy', [1, 1, 1, 1], [0.6, 0.4, 0.7, 0.9], [1, 1]), 0.75);
});

test('rocAuc counts ties as one half and is NaN without both classes', () => {
  close(rocAuc([0.5, 0.5], [1, 0]), 0.5);
  close(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [1, 1])));
});

test('task specs are validated with coded errors', () => {
  assert.throws(() => createTask({ name: 'x', kind: 'multiclas' as never, classes: 3 }), (e: Error & { code?: string; fix?: string }) => {
    return e.code === 'task.unknown_kind' && /did you mean "multiclass"/.test(e.fix ?? '');
  });
  assert.throws(() => createTask({ name: 'x', kind: 'multiclass' }), /classes: expected an integer ≥ 2/);
  assert.throws(() => createTask({ name: 'x', kind: 'regression', classes: 3 }), /only multiclass tasks have classes/);
  assert.throws(() => createTask({ name: 'x', kind: 'regression', metrics: ['accuracy'] }), /metrics\[0\]: expected a metric for regression tasks/);
});

test('the written-out gradients of softmax cross-entropy and the masked mean equal autodiff of their definitions', () => {
  const start = tf.memory().numTensors;
  const logits = tf.tensor2d([[2, -1, 0.5], [0, 0, 0], [-3, 4, 1], [10, -10, 0], [0.1, 0.2, 0.3]]);
  const labels = tf.tensor2d([[0], [2], [1], [1], [0]]);
  const mask = tf.tensor1d([1, 1, 0, 1, 1]);
  const weights = tf.tensor1d([0.3, -1.2, 2, 0.7, 1]);
  // Definitions written with plain ops, so that tfjs differentiates them itself.
  const reference = (z: tf.Tensor) => {
    const perExample = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), 3), tf.logSoftmax(z)), 1));
    return tf.div(tf.sum(tf.mul(perExample, mask)), tf.sum(mask)) as tf.Scalar;
  };
  const ours = (z: tf.Tensor) => maskedMeanLoss(softmaxCrossEntropy(z as tf.Tensor2D, labels), mask);
  for (const [what, f] of [['loss', (l: (z: tf.Tensor) => tf.Scalar) => l], ['loss × a tensor', (l: (z: tf.Tensor) => tf.Scalar) => (z: tf.Tensor) => tf.mul(l(z), tf.sum(tf.mul(weights, tf.sum(z, 1))))]] as const) {
    const want = tf.tidy(() => Array.from(tf.grad(f(reference))(logits).dataSync()));
    const got = tf.tidy(() => Array.from(tf.grad(f(ours))(logits).dataSync()));
    want.forEach((w, i) => assert.ok(Math.abs(w - got[i]!) < 1e-5, `${what}: gradient[${i}] ${got[i]} vs ${w}`));
  }
  // The masked-out example gets no gradient at all.
  const g = tf.tidy(() => Array.from(tf.grad(ours)(logits).dataSync()));
  assert.ok(g.slice(6, 9).every((v) => v === 0), `masked example's gradient: ${g.slice(6, 9)}`);
  tf.dispose([logits, labels, mask, weights]);
  assert.equal(tf.memory().numTensors, start);
});
