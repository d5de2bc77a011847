import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { createTask } from '../../src/tasks/createTask.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { Random } from '../../src/random/random.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { weightingMethods } from '../../src/weighting/registry.js';

/** Three regression tasks on one input, so gradient methods see T = 3. */
function threeTasks() {
  const r = new Random(11);
  const n = 96;
  const d = 5;
  const x = new Float32Array(n * d).map(() => r.normal());
  const targets: Record<string, { values: Float32Array; width: number }> = {};
  for (const [t, scale] of [['a', 1], ['b', -2], ['c', 10]] as const) {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = scale * (x[i * d]! + (t === 'c' ? x[i * d + 1]! : 0));
    targets[t] = { values: v, width: 1 };
  }
  const data = new ArrayDataset({ data: x, shape: [n, d] }, targets);
  const tasks = ['a', 'b', 'c'].map((name) => createTask({ name, kind: 'regression' }));
  return { data, tasks };
}

for (const [name, method] of Object.entries(weightingMethods)) {
  const modes = method.needs === 'losses' ? ['parameters' as const] : method.gradientModes;
  for (const mode of modes) {
    test(`${name} (${method.needs}, ${mode} gradients) trains inside fit: finite losses, valid weights, no leaks`, async () => {
      installSeededRandom(5);
      const { data, tasks } = threeTasks();
      const model = hardSharing({ tasks, inputShape: [5], encoder: { type: 'mlp', hidden: [8, 8] } });
      const optimizer = new Adam();
      const options = method.resolveOptions(undefined, { taskNames: ['a', 'b', 'c'], seed: 5 });
      const start = tf.memory().numTensors;
      const result = await fit({
        model, train: data, evaluation: data, method: method as WeightingMethod<unknown, unknown>, methodOptions: options,
        optimizer, learningRate: 0.01, epochs: 3, batchSize: 32, seed: 5, gradientMode: mode, progress: false, log: () => {},
        diagnosticsEvery: 1,
      });
      const last = result.history[result.history.length - 1]!;
      for (const t of ['a', 'b', 'c']) {
        assert.ok(Number.isFinite(last.trainLoss[t]!), `${t} loss finite`);
        assert.ok(Number.isFinite(last.weights[t]!), `${t} weight finite`);
      }
      // The model learned something: the total test loss went down from the first epoch.
      const total = (e: typeof last) => Object.values(e.evaluation!).reduce((s, v) => s + v.loss, 0);
      assert.ok(total(last) <= total(result.history[0]!) * 1.05, `loss did not blow up: ${total(result.history[0]!)} → ${total(last)}`);
      // Only the optimizer's tensors (its slots, and its kept constants on backends
      // without the fused kernels) outlive the run.
      const slots = Object.values(optimizer.getState().slots).reduce((s, v) => s + Object.keys(v).length, 0);
      assert.ok(tf.memory().numTensors - start >= slots);
      optimizer.dispose();
      assert.equal(tf.memory().numTensors, start);
      model.model.dispose();
    });
  }
}
