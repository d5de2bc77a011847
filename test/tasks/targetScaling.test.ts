import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../../src/errors.js';
import { createTask } from '../../src/tasks/createTask.js';

test('a regression task with target scaling learns (y − mean)/std and predicts in the targets\' units', () => {
  const before = tf.memory().numTensors;
  const task = createTask({ name: 'spend', kind: 'regression', outputs: 2, targetScaling: { mean: [1000, -5], std: [200, 0.5] } });
  assert.deepEqual(task.targetScaling, { mean: [1000, -5], std: [200, 0.5] });
  const outputs = tf.tensor2d([[0.5, -2], [0, 1]]);
  const labels = tf.tensor2d([[1100, -5], [600, -4]]);
  // Standardised labels: [0.5, 0], [−2, 2]; squared errors averaged over the two outputs: (0 + 4)/2 = 2, (4 + 1)/2 = 2.5.
  const losses = task.exampleLosses(outputs, labels);
  assert.deepEqual(Array.from(losses.dataSync()), [2, 2.5]);
  // Predictions: outputs · std + mean.
  const values = task.activate(outputs);
  assert.deepEqual(Array.from(values.dataSync()), [1100, -6, 1000, -4.5]);
  tf.dispose([outputs, labels, losses, values]);
  assert.equal(tf.memory().numTensors, before, 'the task holds no tensors and leaks none');
});

test('target scaling and deltaMetrics are validated with coded errors', () => {
  const bad = (spec: Parameters<typeof createTask>[0], code: string, fragment: string) =>
    assert.throws(() => createTask(spec, 'tasks[0]'), (e: unknown) => e instanceof MtlError && e.code === code && e.message.includes(fragment));
  bad({ name: 'r', kind: 'regression', targetScaling: { mean: [0, 1], std: [1, 1] } }, 'task.bad_target_scaling', '1 finite means and 1 positive');
  bad({ name: 'r', kind: 'regression', targetScaling: { mean: [0], std: [0] } }, 'task.bad_target_scaling', 'tasks[0].targetScaling');
  bad({ name: 'c', kind: 'binary', targetScaling: { mean: [0], std: [1] } }, 'task.bad_target_scaling', 'only regression targets');
  bad({ name: 'r', kind: 'regression', deltaMetrics: ['rmse'] }, 'task.unknown_metric', "one of the task's metrics [mse, mae]");
  bad({ name: 'r', kind: 'regression', deltaMetrics: ['ms'] }, 'task.unknown_metric', 'did you mean "mse"');
  bad({ name: 'r', kind: 'regression', deltaMetrics: [] }, 'task.no_metric', 'tasks[0].deltaMetrics');
  assert.deepEqual(createTask({ name: 'c', kind: 'binary' }).deltaMetrics, ['auc'], 'default: the first metric');
  assert.deepEqual(createTask({ name: 'r', kind: 'regression', deltaMetrics: ['mae', 'mse'] }).deltaMetrics, ['mae', 'mse']);
});
