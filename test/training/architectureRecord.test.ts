import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildArchitecture } from '../../src/architectures/registry.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { parseMetricsLog } from '../../src/report/metricsLog.js';
import { architectureRecord } from '../../src/training/architectureRecord.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom, uninstallSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { toyData } from '../helpers.js';

const dispose = (m: MultiTaskModel) => {
  m.model.dispose();
  for (const v of [...m.sharedVariables, ...Object.values(m.taskVariables).flat()]) if (!v.isDisposed) v.dispose();
};

test('architectureRecord: MMoE gate usage on the first examples, cross-stitch matrices, nothing for hard sharing; no tensor leaks', () => {
  installSeededRandom(3);
  const { data, tasks } = toyData(300);
  const mmoe = buildArchitecture('mmoe', { tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4] }, options: { experts: 3 } });
  const stitch = buildArchitecture('cross-stitch', { tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4, 4] } });
  const hard = buildArchitecture('hard-sharing', { tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4] } });
  const models = tf.memory().numTensors;
  const gates = architectureRecord(mmoe, data, 2, 40)!;
  assert.equal(gates.type, 'architecture');
  assert.equal(gates.epoch, 2);
  assert.equal(gates.step, 40);
  assert.deepEqual(gates.gates!.map((g) => [g.gate, g.level, g.experts.length]), [['task:a', 0, 3], ['task:b', 0, 3]]);
  // The same as the model's own reader on the first 256 examples, in order.
  const first = tf.tensor(data.features.data.slice(0, 256 * 6) as Float32Array, [256, 6]);
  const direct = (mmoe as unknown as { gateWeights(x: tf.Tensor): { weights: number[] }[] }).gateWeights(first);
  first.dispose();
  gates.gates!.forEach((g, i) => {
    assert.ok(Math.abs(g.weights.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'a softmax gate sums to 1');
    g.weights.forEach((w, e) => assert.ok(Math.abs(w - direct[i]!.weights[e]!) < 1e-6));
  });
  const stitches = architectureRecord(stitch, data, 0, 1)!;
  assert.equal(stitches.gates, undefined);
  assert.deepEqual(stitches.stitches!.map((s) => s.layer), ['cross_stitch_0', 'cross_stitch_1']);
  for (const s of stitches.stitches!) {
    assert.deepEqual(s.tasks, ['a', 'b']);
    s.matrix.flat().forEach((v, k) => assert.ok(Math.abs(v - [0.9, 0.1, 0.1, 0.9][k]!) < 1e-6, 'the initial matrix: 0.9 on the diagonal'));
  }
  assert.equal(architectureRecord(hard, data, 0, 1), undefined);
  assert.equal(tf.memory().numTensors, models, 'no tensor left behind');
  for (const m of [mmoe, stitch, hard]) dispose(m);
  uninstallSeededRandom();
});

test('fit writes one architecture line after each epoch line, which the report reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-arch-'));
  try {
    installSeededRandom(5);
    const { data, tasks } = toyData(120);
    const model = buildArchitecture('mmoe', { tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [4] }, options: { experts: 2 } });
    const optimizer = new Adam();
    await fit({ model, train: data, evaluation: data, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, optimizer, learningRate: 0.01, epochs: 2, batchSize: 32, seed: 5, runDir: dir, progress: false, log: () => {} });
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; epoch: number });
    assert.deepEqual(lines.filter((l) => l.type !== 'scales').map((l) => `${l.type}:${l.epoch}`), ['epoch:0', 'architecture:0', 'epoch:1', 'architecture:1']);
    const log = parseMetricsLog(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'));
    assert.deepEqual(log.problems, []);
    assert.equal(log.architecture.length, 2);
    assert.equal(log.architecture[1]!.gates!.length, 2);
    optimizer.dispose();
    dispose(model);
    uninstallSeededRandom();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
