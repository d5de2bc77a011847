import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { describeModel, readModelMetadata, userDefinedMetadata } from '../../src/inference/modelMetadata.js';
import { CategoryCounts } from '../../src/preprocessing/categoryCounts.js';
import { PreprocessorFitter } from '../../src/preprocessing/fitPreprocessor.js';
import { missingValueTest } from '../../src/preprocessing/missingValues.js';
import { parseNumberCell } from '../../src/preprocessing/numberCell.js';
import { checkPreprocessorJson, encodedFeatureNames, featureEncoder, type PreprocessorJson } from '../../src/preprocessing/preprocessor.js';
import { RunningMoments } from '../../src/preprocessing/runningMoments.js';
import { SampleMedian } from '../../src/preprocessing/sampleMedian.js';
import { createTask } from '../../src/tasks/createTask.js';
import { Random } from '../../src/random/random.js';

test('RunningMoments: one pass, merged parts and large offsets give the two-pass mean and population variance', () => {
  const r = new Random(1);
  const values = Array.from({ length: 1001 }, () => 1e6 + r.normal() * 3);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  const all = new RunningMoments();
  values.forEach((v) => all.add(v));
  const left = new RunningMoments();
  const right = new RunningMoments();
  values.forEach((v, i) => (i < 400 ? left : right).add(v));
  left.merge(right);
  for (const m of [all, left]) {
    assert.equal(m.count, 1001);
    assert.ok(Math.abs(m.mean - mean) < 1e-8, `mean ${m.mean} vs ${mean}`);
    assert.ok(Math.abs(m.variance - variance) < 1e-7, `variance ${m.variance} vs ${variance}`);
  }
  assert.ok(Number.isNaN(new RunningMoments().std), 'empty: NaN');
});

test('SampleMedian: exact up to its capacity, a seeded sample beyond', () => {
  const m = new SampleMedian(10);
  [5, 1, 4, 2, 3].forEach((v) => m.add(v));
  assert.equal(m.median(), 3);
  m.add(10);
  assert.equal(m.median(), 3.5, 'even count: the mean of the middle two');
  assert.equal(m.exact, true);
  const big = new SampleMedian(1000, 'x');
  for (let i = 0; i < 100_000; i++) big.add(i % 1000);
  assert.equal(big.exact, false);
  assert.ok(Math.abs(big.median() - 500) < 60, `approximate median ${big.median()}`);
});

test('missing cells, numbers and category counts', () => {
  const missing = missingValueTest(['NA', ' ? ']);
  assert.deepEqual(['', '  ', 'na', 'N/A', '?', '0', 'none'].map(missing), [true, true, true, false, true, false, false]);
  assert.deepEqual(['12', ' -0.5 ', '.5', '1e3', '0x10', 'Infinity', '1,5', ''].map(parseNumberCell), [12, -0.5, 0.5, 1000, NaN, NaN, NaN, NaN]);
  // The fast reading agrees with the definition (a plain decimal, trimmed) on the edge cases.
  const plain = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const byDefinition = (c: string) => (plain.test(c.trim()) && Number.isFinite(Number(c.trim())) ? Number(c.trim()) : NaN);
  for (const c of ['+1', '5.', '1E-3', '-.5e+2', '\t8\n', '-0x10', '0b1', '0o7', '0X1', '-Infinity', 'NaN', '  ', '1 000', '1e', 'e1', '.', '-', '1.2.3', '007', '1_0', '1e400', '−1', '0b', '0x', '+.5', '12abc']) {
    assert.deepEqual(parseNumberCell(c), byDefinition(c), JSON.stringify(c));
  }
  const counts = new CategoryCounts('c', 3);
  ['b', 'a', 'b', 'c'].forEach((v) => counts.add(v));
  assert.equal(counts.mostFrequent(), 'b');
  assert.deepEqual(counts.vocabulary(2), ['a', 'b'], 'the two most frequent, ties by name, listed sorted');
  assert.throws(() => counts.add('d'), (e: unknown) => e instanceof MtlError && e.code === 'data.csv_high_cardinality' && e.message.includes('column "c"'));
});

const PRE: PreprocessorJson = {
  format: 'mtl-ts/preprocessing',
  version: 1,
  naValues: ['NA'],
  features: [
    { kind: 'numeric', column: 'age', imputation: { strategy: 'mean', value: 40 }, scaling: { mean: 40, std: 10 }, missingIndicator: true },
    { kind: 'categorical', column: 'plan', categories: ['basic', 'pro'], imputation: { strategy: 'missing-category', column: true }, missingIndicator: false, encoding: 'one-hot' },
    { kind: 'categorical', column: 'city', categories: ['a', 'b'], imputation: { strategy: 'most-frequent', value: 'b' }, missingIndicator: true, encoding: 'one-hot' },
  ],
  targets: [],
};

test('featureEncoder: standardised numbers, imputation, one-hot with missing and unknown values (hand-computed)', () => {
  assert.deepEqual(encodedFeatureNames(PRE), ['age', 'age:missing', 'plan=basic', 'plan=pro', 'plan:missing', 'city=a', 'city=b', 'city:missing']);
  const encoder = featureEncoder(PRE);
  assert.equal(encoder.width, 8);
  const out = new Float32Array(16).fill(9);
  encoder.encode(['55', 'pro', 'a'], out, 0, () => 'r0');
  encoder.encode([null, 'NA', 'zzz'], out, 8, () => 'r1');
  assert.deepEqual(Array.from(out), [1.5, 0, 0, 1, 0, 1, 0, 0, /* */ 0, 1, 0, 0, 1, 0, 0, 0]);
  const again = new Float32Array(8);
  encoder.encode([20, ' basic ', undefined], again, 0, () => 'r2');
  assert.deepEqual(Array.from(again), [-2, 0, 1, 0, 0, 0, 1, 1], 'numbers as numbers; trimmed categories; most-frequent imputation with its indicator');
  assert.throws(
    () => encoder.encode(['forty', 'pro', 'a'], again, 0, () => 'data.csv: row 7'),
    (e: unknown) => e instanceof MtlError && e.code === 'data.bad_feature' && e.path === 'data.csv: row 7, column "age"' && e.message.includes('"forty"'),
  );
});

test('PreprocessorFitter fits on the rows it is given; the JSON is checked when read back', () => {
  const fitter = new PreprocessorFitter(
    [
      { column: 'x', kind: 'numeric' },
      { column: 'c', kind: 'categorical' },
    ],
    [{ task: 'y', kind: 'regression', columns: ['y'] }],
    { standardize: { features: false, targets: true }, impute: { categories: 'most-frequent' } },
  );
  [['1', 'u'], ['3', 'NA'], ['', 'v'], ['5', 'u']].forEach((row, i) => fitter.addFeatures(row, () => `row ${i}`));
  [10, 20, 30].forEach((y) => fitter.addTarget(0, [y]));
  const p = fitter.finish();
  assert.deepEqual(p.features, [
    { kind: 'numeric', column: 'x', imputation: { strategy: 'mean', value: 3 }, missingIndicator: false },
    { kind: 'categorical', column: 'c', categories: ['u', 'v'], imputation: { strategy: 'most-frequent', value: 'u' }, missingIndicator: false, encoding: 'one-hot' },
  ]);
  assert.deepEqual(p.targets[0]!.scaling, { mean: [20], std: [Math.sqrt(200 / 3)] });
  assert.deepEqual(checkPreprocessorJson(JSON.parse(JSON.stringify(p)), 'p.json'), p);
  assert.throws(() => checkPreprocessorJson({ ...p, version: 2 }, 'p.json'), (e: unknown) => e instanceof MtlError && e.code === 'model.bad_metadata' && e.message.includes('version 1'));
  assert.throws(() => fitter.addFeatures(['x1', 'u'], () => 'row 9'), (e: unknown) => e instanceof MtlError && e.code === 'data.bad_feature' && e.path === 'row 9, column "x"');
});

test('model metadata: task kinds, output names, activations and target scaling survive JSON; bad metadata is named', () => {
  const tasks = [
    createTask({ name: 'churn', kind: 'binary' }),
    createTask({ name: 'size', kind: 'multiclass', classes: 3, metrics: ['accuracy'] }),
    createTask({ name: 'tags', kind: 'multilabel', outputs: 2 }),
    createTask({ name: 'spend', kind: 'regression', outputs: 2, targetScaling: { mean: [1, 2], std: [3, 4] }, deltaMetrics: ['mae'] }),
  ];
  const description = describeModel({ tasks, inputShape: [5], architecture: 'hard-sharing', classNames: { size: ['s', 'm', 'l'] } });
  assert.deepEqual(
    description.tasks.map((t) => [t.name, t.activation, t.outputNames, t.deltaMetrics]),
    [
      ['churn', 'sigmoid', ['0', '1'], ['auc']],
      ['size', 'softmax', ['s', 'm', 'l'], ['accuracy']],
      ['tags', 'sigmoid', ['label0', 'label1'], ['f1']],
      ['spend', 'identity', ['spend_0', 'spend_1'], ['mae']],
    ],
  );
  const saved = JSON.parse(JSON.stringify(userDefinedMetadata(description)));
  assert.deepEqual(saved.tasks, ['churn', 'size', 'tags', 'spend'], 'task names for older loaders');
  assert.deepEqual(readModelMetadata(saved), description);
  assert.equal(readModelMetadata({ tasks: ['a'] }), undefined, 'a model saved without it');
  const broken = { ...saved, mtl: { ...saved.mtl, tasks: [{ ...saved.mtl.tasks[1], outputNames: ['s'] }] } };
  assert.throws(() => readModelMetadata(broken, 'm/model.json'), (e: unknown) => e instanceof MtlError && e.code === 'model.bad_metadata' && e.message.includes('output names for task "size"'));
});
