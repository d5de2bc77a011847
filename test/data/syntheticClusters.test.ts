import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { ArrayDataset } from '../../src/data/dataset.js';
import { FASHION_MNIST_DEBIAN_DIR } from '../../src/data/fashionMnist.js';
import { withAttributeTasks } from '../../src/data/multiMnistAttributes.js';
import { clusterTaskNames, syntheticClusters } from '../../src/data/syntheticClusters.js';
import { MtlError } from '../../src/errors.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { loadExperimentData } from '../../src/experiment/loadData.js';

function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

test('synthetic clusters: names, shapes, reproducible; labels correlated within a cluster and not across', () => {
  assert.deepEqual(clusterTaskNames([3, 2, 1]), ['a1', 'a2', 'a3', 'b1', 'b2', 'c1']);
  const { train, test: held, tasks } = syntheticClusters({ seed: 1, testSize: 20000 });
  assert.deepEqual(tasks, ['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
  assert.deepEqual(train.taskNames, tasks);
  assert.equal(train.size, 400);
  assert.deepEqual(train.inputShape, [32]);
  assert.deepEqual(syntheticClusters({ seed: 1, testSize: 20000 }).train.targets.a1!.values, train.targets.a1!.values);
  assert.notDeepEqual(syntheticClusters({ seed: 2 }).train.targets.a1!.values, train.targets.a1!.values);
  // A larger training set leaves the test set as it is.
  assert.deepEqual(syntheticClusters({ seed: 1, testSize: 20000, trainSize: 500 }).test.targets.b2!.values, held.targets.b2!.values);
  const y = (t: string) => held.targets[t]!.values;
  // Each label: signal variance 1 plus noise variance 0.25.
  for (const t of tasks) {
    const v = y(t).reduce((s, x) => s + x * x, 0) / y(t).length;
    assert.ok(Math.abs(v - 1.25) < 0.06, `${t}: variance ${v}`);
  }
  // Within a cluster the signals have cosine ≥ 2ρ² − 1 ≈ 0.96, so labels correlate ≈ 0.98/1.25 ≈ 0.78;
  // across clusters the signals have cosine κ·ρ² ≈ 0.49 (± the tasks' small random parts): labels correlate ≈ 0.39.
  for (const [a, b] of [['a1', 'a2'], ['a1', 'a3'], ['b2', 'b3']]) assert.ok(Math.abs(correlation(y(a!), y(b!)) - 0.78) < 0.03, `${a}~${b}`);
  for (const [a, b] of [['a1', 'b1'], ['a2', 'b3'], ['a3', 'b2']]) assert.ok(Math.abs(correlation(y(a!), y(b!)) - 0.39) < 0.07, `${a}~${b}`);
  // Orthogonal clusters: correlated across only through the tasks' own small random parts.
  const apart = syntheticClusters({ seed: 1, testSize: 20000, clusterSimilarity: 0 }).test;
  assert.ok(Math.abs(correlation(apart.targets.a1!.values, apart.targets.b1!.values)) < 0.1);
  // relatedness 1: the tasks of a cluster have the same signal.
  const same = syntheticClusters({ seed: 3, relatedness: 1, noiseStd: 0, trainSize: 10, testSize: 10 });
  assert.deepEqual(same.train.targets.a1!.values, same.train.targets.a3!.values);
});

test('synthetic clusters: bad arguments are coded errors', () => {
  const bad = (args: object, path: RegExp) =>
    assert.throws(() => syntheticClusters({ seed: 0, ...args }), (e: unknown) => e instanceof MtlError && e.code === 'data.synthetic_args' && path.test(e.path));
  bad({ clusters: [] }, /clusters/);
  bad({ clusters: [2, 0] }, /clusters/);
  bad({ relatedness: 1.5 }, /relatedness/);
  bad({ inputDim: 2 }, /inputDim/);
  bad({ clusterSimilarity: 1 }, /clusterSimilarity/);
  bad({ trainSize: 0 }, /trainSize/);
  bad({ noiseStd: -1 }, /noiseStd/);
});

test('the experiment schema takes synthetic-clusters data and the mlp encoder\'s activation', () => {
  const config = validateExperiment({
    name: 'planted',
    data: { source: 'synthetic-clusters', clusters: [2, 2], trainSize: 50, testSize: 30, validationFraction: 0.2 },
    tasks: ['a1', 'a2', 'b1', 'b2'].map((name) => ({ name, kind: 'regression' })),
    model: { encoder: { type: 'mlp', hidden: [1], activation: 'linear' } },
    training: { epochs: 1, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.01 } },
  });
  const data = loadExperimentData(config);
  assert.equal(data.train.size, 40);
  assert.equal(data.validation!.size, 10);
  assert.throws(
    () => validateExperiment({ ...config, model: { encoder: { type: 'mlp', hidden: [1], activation: 'sigmoid' } } }),
    (e: unknown) => e instanceof MtlError && e.code === 'config.bad_value' && /activation/.test(e.path),
  );
  assert.throws(
    () => validateExperiment({ ...config, data: { source: 'multimnist', derivedTasks: true } }),
    (e: unknown) => e instanceof MtlError && e.code === 'config.incompatible' && /derivedTasks/.test(e.path),
  );
});

test('Multi-(Fashion+MNIST) attribute tasks: digit, parity, ≥ 5; garment, footwear, upper body', () => {
  const digits = Float32Array.from([0, 1, 4, 5, 7, 9, 2, 8, 3, 6]);
  const garments = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const data = new ArrayDataset({ data: new Float32Array(10), shape: [10, 1] }, { left: { values: digits, width: 1 }, right: { values: garments, width: 1 } }, 'pairs');
  const derived = withAttributeTasks(data);
  assert.deepEqual(derived.taskNames, ['digit', 'digitOdd', 'digitAtLeast5', 'garment', 'footwear', 'upperBody']);
  const v = (t: string) => Array.from(derived.targets[t]!.values);
  assert.deepEqual(v('digit'), Array.from(digits));
  assert.deepEqual(v('digitOdd'), [0, 1, 0, 1, 1, 1, 0, 0, 1, 0]);
  assert.deepEqual(v('digitAtLeast5'), [0, 0, 0, 1, 1, 1, 0, 1, 0, 1]);
  assert.deepEqual(v('garment'), Array.from(garments));
  // Sandal 5, Sneaker 7, Ankle boot 9.
  assert.deepEqual(v('footwear'), [0, 0, 0, 0, 0, 1, 0, 1, 0, 1]);
  // T-shirt/top 0, Pullover 2, Coat 4, Shirt 6.
  assert.deepEqual(v('upperBody'), [1, 0, 1, 0, 1, 0, 1, 0, 0, 0]);
  assert.throws(() => withAttributeTasks(derived), (e: unknown) => e instanceof MtlError && e.code === 'data.unknown_task');
});

test('an experiment with derivedTasks loads the six tasks', { skip: !existsSync(`${FASHION_MNIST_DEBIAN_DIR}/train-images-idx3-ubyte.gz`) && 'dataset-fashion-mnist not installed' }, () => {
  const config = validateExperiment({
    name: 'six',
    data: { source: 'multi-fashion-mnist', derivedTasks: true, trainSize: 200, testSize: 50 },
    tasks: [
      { name: 'digit', kind: 'multiclass', classes: 10 },
      { name: 'digitOdd', kind: 'binary' },
      { name: 'footwear', kind: 'binary' },
    ],
    model: { encoder: { type: 'lenet' } },
    training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.001 } },
  });
  const data = loadExperimentData(config);
  assert.deepEqual(data.train.taskNames, ['digit', 'digitOdd', 'digitAtLeast5', 'garment', 'footwear', 'upperBody']);
  const train = data.train as ArrayDataset;
  const digit = train.targets.digit!.values;
  const odd = train.targets.digitOdd!.values;
  for (let i = 0; i < 200; i++) assert.equal(odd[i], digit[i]! % 2);
  assert.throws(
    () => loadExperimentData({ ...config, tasks: [{ name: 'garment', kind: 'multiclass', classes: 5 }] } as typeof config),
    (e: unknown) => e instanceof MtlError && e.code === 'config.head_width_mismatch',
  );
});
