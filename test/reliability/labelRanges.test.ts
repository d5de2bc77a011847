/**
 * Silent wrong results from labels: every label source is range-checked against the
 * task that reads it (IDX files and the MultiMNIST built from them, synthetic data, CSV,
 * arrays handed to fit() in code), and empty training data is an error.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { loadExperimentData } from '../../src/experiment/loadData.js';
import { createTask } from '../../src/tasks/createTask.js';
import { checkLabels } from '../../src/tasks/checkLabels.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { fit } from '../../src/training/fit.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import { isMtlError, scratch, tinyCsvExperiment } from './helpers.js';

/** An MNIST-style IDX folder of `n` blank 28×28 images per split, with the given labels. */
function idxFolder(dir: string, trainLabels: number[], testLabels: number[]): string {
  const file = (dtype: number, shape: number[], body: Uint8Array) => {
    const out = new Uint8Array(4 + 4 * shape.length + body.length);
    const view = new DataView(out.buffer);
    out[2] = dtype;
    out[3] = shape.length;
    shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
    out.set(body, 4 + 4 * shape.length);
    return gzipSync(out);
  };
  mkdirSync(dir, { recursive: true });
  for (const [split, labels] of [['train', trainLabels], ['t10k', testLabels]] as const) {
    const images = new Uint8Array(labels.length * 784).map((_, i) => (i * 7) % 256);
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), file(0x08, [labels.length, 28, 28], images));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), file(0x08, [labels.length], Uint8Array.from(labels)));
  }
  return dir;
}

const multiMnist = (mnistDir: string) =>
  validateExperiment({
    name: 'idx',
    data: { source: 'multimnist', mnistDir, trainSize: 6, testSize: 4 },
    tasks: [
      { name: 'left', kind: 'multiclass', classes: 10 },
      { name: 'right', kind: 'multiclass', classes: 10 },
    ],
    model: { encoder: { type: 'mlp', hidden: [4] } },
    training: { epochs: 1, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 } },
  });

test('IDX labels outside the task\'s classes are refused, in the training and in the test split (MultiMNIST built on them too)', () => {
  const { dir, cleanup } = scratch();
  try {
    const good = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    assert.doesNotThrow(() => loadExperimentData(multiMnist(idxFolder(join(dir, 'good'), good, good))));
    // A 12 with 10 classes as the third training image's label: task "left" reads it directly.
    assert.throws(
      () => loadExperimentData(multiMnist(idxFolder(join(dir, 'train12'), [0, 1, 12, 3, 4, 5, 6, 7, 8, 9], good))),
      isMtlError('data.label_out_of_range', { path: /example 2, task "left"/, expected: /class index 0\.\.9 \(the task has 10 classes\)/, found: /^12/ }),
    );
    // 255 in the test split only.
    assert.throws(
      () => loadExperimentData(multiMnist(idxFolder(join(dir, 'test255'), good, [0, 1, 2, 255, 4, 5, 6, 7, 8, 9]))),
      isMtlError('data.label_out_of_range', { path: /test/, found: /^255/ }),
    );
  } finally {
    cleanup();
  }
});

test('synthetic data whose labels overflow float32 is refused (σ = 1e39 gives infinite regression targets)', () => {
  const config = validateExperiment({
    name: 'syn',
    data: { source: 'synthetic-gradnorm', sigmas: [1, 1e39], trainSize: 8, testSize: 4 },
    tasks: [
      { name: 'task0', kind: 'regression', outputs: 100 },
      { name: 'task1', kind: 'regression', outputs: 100 },
    ],
    model: { encoder: { type: 'mlp', hidden: [4] } },
    training: { epochs: 1, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 } },
  });
  assert.throws(() => loadExperimentData(config), isMtlError('data.label_out_of_range', { path: /task "task1"/, expected: /finite regression target/, found: /Infinity/ }));
});

test('checkLabels: a corpus of out-of-range labels per task kind; missing labels (mask 0) are not read', () => {
  const tasks = {
    multiclass: createTask({ name: 'm', kind: 'multiclass', classes: 3 }),
    binary: createTask({ name: 'b', kind: 'binary' }),
    multilabel: createTask({ name: 'l', kind: 'multilabel', outputs: 2 }),
    regression: createTask({ name: 'r', kind: 'regression' }),
  };
  const data = (task: keyof typeof tasks, values: number[], width = 1, mask?: number[]) =>
    new ArrayDataset(
      { data: new Float32Array(values.length / width), shape: [values.length / width, 1] },
      { [tasks[task].name]: { values: Float32Array.from(values), width, ...(mask ? { mask: Uint8Array.from(mask) } : {}) } },
      'in-code',
    );
  const bad: Array<[keyof typeof tasks, number[], number, RegExp]> = [
    ['multiclass', [0, 1, 3], 1, /^3$/],
    ['multiclass', [0, -1, 2], 1, /^-1$/],
    ['multiclass', [0, 1.5, 2], 1, /^1\.5$/],
    ['multiclass', [0, Number.NaN], 1, /^NaN$/],
    ['binary', [0, 1, 2], 1, /^2$/],
    ['binary', [0.5, 1], 1, /^0\.5/],
    ['binary', [-1, 1, 0, -1], 1, /^-1 \(and 1 more/],
    ['multilabel', [0, 1, 1, 3], 2, /^3$/],
    ['regression', [0, Number.POSITIVE_INFINITY], 1, /^Infinity$/],
    ['regression', [Number.NaN, 1], 1, /^NaN$/],
  ];
  for (const [kind, values, width, found] of bad) {
    assert.throws(() => checkLabels(data(kind, values, width), [tasks[kind]]), isMtlError('data.label_out_of_range', { path: /^in-code: example \d/, found }), `${kind} ${values}`);
  }
  // The same values under a mask of 0 are not labels.
  assert.doesNotThrow(() => checkLabels(data('multiclass', [0, 7], 1, [1, 0]), [tasks.multiclass]));
  assert.doesNotThrow(() => checkLabels(data('regression', [Number.NaN, 1], 1, [0, 1]), [tasks.regression]));
  // Width and presence.
  assert.throws(() => checkLabels(data('multilabel', [0, 1, 1, 0], 1), [tasks.multilabel]), isMtlError('data.label_width'));
  assert.throws(() => checkLabels(data('binary', [0, 1]), [tasks.regression]), isMtlError('data.unknown_task', { expected: /task "r"/ }));
  // Training data must have examples, and labels for every task.
  assert.throws(() => checkLabels(data('binary', []), [tasks.binary], { requireLabels: true }), isMtlError('data.empty'));
  assert.throws(() => checkLabels(data('binary', [0, 1], 1, [0, 0]), [tasks.binary], { split: 'training', requireLabels: true }), isMtlError('data.no_labels', { path: /task "b"/ }));
  assert.doesNotThrow(() => checkLabels(data('binary', [0, 1], 1, [0, 0]), [tasks.binary], { split: 'test', requireExamples: true }), 'a test split may lack a task\'s labels (its metrics are then undefined)');
});

test('fit() refuses out-of-range labels and empty training data before the first step (arrays built in code)', async () => {
  const tasks = [createTask({ name: 'c', kind: 'multiclass', classes: 3 })];
  const run = (labels: number[]) => {
    const n = labels.length;
    const train = new ArrayDataset({ data: new Float32Array(n * 2).fill(0.5), shape: [n, 2] }, { c: { values: Float32Array.from(labels), width: 1 } }, 'arrays');
    const model = hardSharing({ tasks, inputShape: [2], encoder: { type: 'mlp', hidden: [3] } });
    const before = tf.memory().numTensors;
    const optimizer = new Adam();
    const done = fit({ model, train, method: equalWeighting, methodOptions: {}, optimizer, learningRate: 0.01, epochs: 1, batchSize: 2, seed: 0, progress: false, log: () => {} });
    return done.finally(() => {
      optimizer.dispose();
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind by the refused fit');
      model.model.dispose();
    });
  };
  await assert.rejects(run([0, 1, 3, 2]), isMtlError('data.label_out_of_range', { path: /arrays: example 2, task "c"/ }));
  await assert.rejects(run([]), isMtlError('data.empty'));
  await assert.doesNotReject(run([0, 1, 2, 2]));
});

test('a header-only training CSV (with a separate test file) and a CSV of header only are refused as empty training data', () => {
  const { dir, cleanup } = scratch();
  try {
    const config = tinyCsvExperiment(dir);
    const header = join(dir, 'header.csv');
    writeFileSync(header, 'x1,x2,y,z\n');
    const withTest = validateExperiment({ ...config, data: { source: 'csv', path: header, testPath: config.data.path, features: ['x1', 'x2'] } });
    assert.throws(() => loadExperimentData(withTest), isMtlError('data.empty', { path: /header\.csv/, expected: /training example/ }));
    const alone = validateExperiment({ ...config, data: { source: 'csv', path: header, features: ['x1', 'x2'] } });
    assert.throws(() => loadExperimentData(alone), isMtlError('data.empty'));
    // A test file with no rows gives no figure at all: refused too.
    const emptyTest = validateExperiment({ ...config, data: { source: 'csv', path: config.data.path, testPath: header, features: ['x1', 'x2'] } });
    assert.throws(() => loadExperimentData(emptyTest), isMtlError('data.empty', { expected: /test example/ }));
    // Every label of a task missing in the training rows: that task would train on nothing.
    const unlabelled = join(dir, 'unlabelled.csv');
    writeFileSync(unlabelled, 'x1,x2,y,z\n' + Array.from({ length: 12 }, (_, i) => `${i},${i % 3},${i % 2},`).join('\n') + '\n');
    const noZ = validateExperiment({ ...config, data: { source: 'csv', path: unlabelled, features: ['x1', 'x2'], testFraction: 0.25 } });
    assert.throws(() => loadExperimentData(noZ), isMtlError('data.no_labels', { path: /task "z"/ }));
  } finally {
    cleanup();
  }
});
