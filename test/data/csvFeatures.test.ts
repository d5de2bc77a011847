import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCsvDataset, type CsvDatasetArgs } from '../../src/data/csv.js';
import { MtlError } from '../../src/errors.js';

/**
 * Reading a CSV file's feature columns: numeric and categorical columns (detected or
 * declared), missing values (naValues) imputed by each strategy, missing indicators,
 * vocabularies and unknown categories; missing labels from naValues.
 */

const load = (text: string, args: CsvDatasetArgs) => loadCsvDataset({ text, name: 'data.csv' }, args);
const rows = (data: Float32Array, width: number) => Array.from({ length: data.length / width }, (_, i) => Array.from(data.subarray(i * width, (i + 1) * width)));

function assertMtlError(fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MtlError, `expected MtlError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

const TEXT = [
  'age,plan,region,y',
  '30,basic,north,1',
  'NA,pro,,0',
  '50,pro,south,1',
  '40,,north,n/a',
  '20,basic,east,0',
].join('\n');
const targets: CsvDatasetArgs['targets'] = [{ name: 'y', kind: 'binary', columns: ['y'] }];

test('non-numeric columns are categorical, one-hot over the sorted vocabulary; missing cells get a category of their own', () => {
  const { dataset, featureNames, preprocessor, columns } = load(TEXT, { features: 'rest', targets });
  assert.deepEqual(columns, ['age', 'plan', 'region']);
  assert.deepEqual(preprocessor.features.map((f) => f.kind), ['numeric', 'categorical', 'categorical']);
  // age: mean of 30, 50, 40, 20 = 35 imputes the NA; plan: basic, pro (+ missing); region: east, north, south (+ missing).
  assert.deepEqual(featureNames, ['age', 'plan=basic', 'plan=pro', 'plan:missing', 'region=east', 'region=north', 'region=south', 'region:missing']);
  assert.deepEqual(rows(dataset.features.data as Float32Array, 8), [
    [30, 1, 0, 0, 0, 1, 0, 0],
    [35, 0, 1, 0, 0, 0, 0, 1],
    [50, 0, 1, 0, 0, 0, 1, 0],
    [40, 0, 0, 1, 0, 1, 0, 0],
    [20, 1, 0, 0, 1, 0, 0, 0],
  ]);
  // "n/a" in the label column is a missing label (naValues are compared ignoring case).
  assert.deepEqual(Array.from(dataset.targets.y!.mask!), [1, 1, 1, 0, 1]);
  assert.equal(dataset.targets.y!.kind, 'binary');
});

test('imputation by median and most frequent value, with missing-value indicator columns', () => {
  const { dataset, featureNames, preprocessor } = load(TEXT + '\n100,pro,north,1', {
    features: ['age', 'plan'],
    targets,
    impute: { numbers: 'median', categories: 'most-frequent' },
    missingIndicators: true,
  });
  // age values 30, 50, 40, 20, 100: median 40; plan: pro ×3, basic ×2.
  assert.deepEqual(preprocessor.features[0], { kind: 'numeric', column: 'age', imputation: { strategy: 'median', value: 40 }, missingIndicator: true });
  assert.deepEqual(featureNames, ['age', 'age:missing', 'plan=basic', 'plan=pro', 'plan:missing']);
  assert.deepEqual(rows(dataset.features.data as Float32Array, 5), [
    [30, 0, 1, 0, 0],
    [40, 1, 0, 1, 0],
    [50, 0, 0, 1, 0],
    [40, 0, 0, 1, 1],
    [20, 0, 1, 0, 0],
    [100, 0, 0, 1, 0],
  ]);
});

test('declared categorical columns, custom naValues, maxCategories and unknown categories', () => {
  const text = 'zip,score,y\n101,?,1\n102,3,0\n101,5,1\n103,-,0\n101,4,1\n';
  const { preprocessor, featureNames } = load(text, {
    features: ['zip', 'score'],
    targets,
    categorical: ['zip'],
    naValues: ['?', '-'],
    maxCategories: 2,
  });
  assert.deepEqual(preprocessor.naValues, ['?', '-']);
  // zip: 101 ×3, 102, 103: the two most frequent (ties by name) are kept; no missing zip, so no missing column.
  assert.deepEqual(featureNames, ['zip=101', 'zip=102', 'score']);
  // The fitted preprocessing applied to new rows: an unknown zip sets no one-hot input; "?" is missing (mean 4).
  const test = load('zip,score,y\n999,?,1\n102,2,0\n', { features: 'rest', targets, preprocessor });
  assert.deepEqual(rows(test.dataset.features.data as Float32Array, 3), [
    [0, 0, 4],
    [0, 1, 2],
  ]);
  assertMtlError(() => load(text, { features: ['zip'], targets, categorical: ['zp'] }), 'data.csv_unknown_column', 'categorical[0]', 'did you mean "zip"');
});

test('a column with no value in any row, and an empty file, are named', () => {
  assertMtlError(() => load('a,b,y\n1,,1\n2,NA,0\n', { features: ['a', 'b'], targets }), 'data.empty_column', 'data.csv: column "b"', 'only missing values in 2 training rows');
  assertMtlError(() => load('a,y\n', { features: ['a'], targets }), 'data.empty', 'a header only');
});

test('classes: K with named classes learns the names, and a count that does not match is named', () => {
  const text = 'f,size\n1,small\n2,large\n3,medium\n4,small\n';
  const named = load(text, { features: ['f'], targets: [{ name: 'size', kind: 'multiclass', columns: ['size'], classes: 3 }] });
  assert.deepEqual(named.classes.size, ['large', 'medium', 'small']);
  assert.deepEqual(Array.from(named.dataset.targets.size!.values), [2, 0, 1, 2]);
  assertMtlError(
    () => load(text, { features: ['f'], targets: [{ name: 'size', kind: 'multiclass', columns: ['size'], classes: 4 }] }),
    'data.csv_class_count',
    '4 classes for task "size"',
    '3 named classes [large, medium, small]',
    'set classes: 3',
  );
});

test('binary labels keep the spelling of the data for the class names', () => {
  const { preprocessor } = load('f,churn\n1,yes\n2,no\n3,Yes\n4,yes\n5,no\n', { features: ['f'], targets: [{ name: 'churn', kind: 'binary', columns: ['churn'] }] });
  assert.deepEqual(preprocessor.targets[0]!.classes, ['no', 'yes']);
});
