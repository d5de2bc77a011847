import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadCsvDataset, type CsvDatasetArgs } from '../../src/data/csv.js';
import { parseCsv } from '../../src/data/csvParse.js';
import { disposeBatch } from '../../src/data/dataset.js';
import { MtlError } from '../../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtl-csv-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function assertMtlError(fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MtlError, `expected MtlError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

const load = (text: string, args: CsvDatasetArgs) => loadCsvDataset({ text, name: 'data.csv' }, args);

test('parseCsv: quoted fields with commas, doubled quotes and line breaks', () => {
  const t = parseCsv('name,note,x\n"Smith, J","said ""hi""\nthen left",1\nplain,"",2\n');
  assert.deepEqual(t.header, ['name', 'note', 'x']);
  assert.deepEqual(t.rows, [
    ['Smith, J', 'said "hi"\nthen left', '1'],
    ['plain', '', '2'],
  ]);
  assert.deepEqual(t.lines, [2, 4], 'the second record starts on line 4 after the embedded line break');
});

test('parseCsv: CRLF, BOM, no trailing newline, blank lines and empty trailing fields', () => {
  const t = parseCsv('\uFEFFa,b\r\n1,2\r\n\r\n   \r\n3,\r\n,4');
  assert.deepEqual(t.header, ['a', 'b'], 'the BOM is not part of the first name');
  assert.deepEqual(t.rows, [
    ['1', '2'],
    ['3', ''],
    ['', '4'],
  ]);
  assert.deepEqual(t.lines, [2, 5, 6]);
  assert.deepEqual(parseCsv('a\n1\n\n').rows, [['1']], 'a trailing newline adds no row');
  assert.deepEqual(parseCsv('a,b\r1,2\r').rows, [['1', '2']], 'bare CR line ends');
  assert.deepEqual(parseCsv('a,b\n"x\r\ny",2\n').rows, [['x\r\ny', '2']], 'CRLF kept inside quotes');
  assert.deepEqual(parseCsv('a,b\nx"y,2\n').rows, [['x"y', '2']], 'a quote inside an unquoted field is literal');
});

test('parseCsv: syntax, header and field-count errors name the row', () => {
  assertMtlError(() => parseCsv('a,b\n1,"open\n2,3\n', 'f.csv'), 'data.csv_syntax', 'f.csv: row 2', 'closing double quote');
  assertMtlError(() => parseCsv('a,b\n1,"x"y\n', 'f.csv'), 'data.csv_syntax', 'row 2', 'after the closing quote');
  assertMtlError(() => parseCsv('', 'f.csv'), 'data.csv_header', 'empty file');
  assertMtlError(() => parseCsv('\n\n'), 'data.csv_header');
  assertMtlError(() => parseCsv('a,b,a\n1,2,3'), 'data.csv_header', '"a" in columns 1 and 3');
  assertMtlError(() => parseCsv('a,b\n1,2\n3,4,5\n', 'f.csv'), 'data.csv_field_count', 'f.csv: row 3', 'expected 2 fields', 'found 3 fields');
  assertMtlError(() => parseCsv('a,b\n1\n', 'f.csv'), 'data.csv_field_count', 'row 2', 'found 1 fields');
});

test('loadCsvDataset: features, every target kind, and empty target cells as missing labels', () => {
  const text = [
    'age,income,smoker,city,tag_a,tag_b,y1,y2',
    '30,1.5,yes,paris,1,0,0.5,1',
    '40,,no,berlin,,,,',
    '50,3.5,TRUE,,true,yes,2,-1',
    '60,4,0,paris,0,no,1e1,3',
  ].join('\n');
  const { dataset, featureNames, classes } = load(text, {
    features: ['age'],
    targets: [
      { name: 'income', kind: 'regression', columns: ['income'] },
      { name: 'smoker', kind: 'binary', columns: ['smoker'] },
      { name: 'city', kind: 'multiclass', columns: ['city'] },
      { name: 'tags', kind: 'multilabel', columns: ['tag_a', 'tag_b'] },
      { name: 'ys', kind: 'regression', columns: ['y1', 'y2'] },
    ],
  });
  assert.deepEqual(featureNames, ['age']);
  assert.equal(dataset.size, 4);
  assert.deepEqual(dataset.inputShape, [1]);
  assert.deepEqual(Array.from(dataset.features.data), [30, 40, 50, 60]);
  const t = dataset.targets;
  assert.deepEqual(Array.from(t.income!.values), [1.5, 0, 3.5, 4]);
  assert.deepEqual(Array.from(t.income!.mask!), [1, 0, 1, 1]);
  assert.deepEqual(Array.from(t.smoker!.values), [1, 0, 1, 0]);
  assert.equal(t.smoker!.mask, undefined, 'no mask when every example is labelled');
  assert.deepEqual(classes.city, ['berlin', 'paris'], 'sorted class names');
  assert.deepEqual(Array.from(t.city!.values), [1, 0, 0, 1]);
  assert.deepEqual(Array.from(t.city!.mask!), [1, 1, 0, 1]);
  assert.equal(t.tags!.width, 2);
  assert.deepEqual(Array.from(t.tags!.values), [1, 0, 0, 0, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(t.tags!.mask!), [1, 0, 1, 1]);
  assert.equal(t.ys!.width, 2);
  assert.deepEqual(Array.from(t.ys!.values), [0.5, 1, 0, 0, 2, -1, 10, 3]);
  assert.deepEqual(dataset.labelCounts(), { income: 3, smoker: 4, city: 3, tags: 3, ys: 3 });
});

test('loadCsvDataset: "rest" takes every non-target column in header order; batches leak no tensors', () => {
  const { dataset, featureNames } = load('a,label,b\n1,0,2\n3,1,4\n', {
    features: 'rest',
    targets: [{ name: 'label', kind: 'binary', columns: ['label'] }],
  });
  assert.deepEqual(featureNames, ['a', 'b']);
  assert.deepEqual(Array.from(dataset.features.data), [1, 2, 3, 4]);
  const before = tf.memory().numTensors;
  for (const batch of dataset.batches({ batchSize: 2 })) {
    assert.deepEqual(Array.from(batch.x.dataSync()), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(batch.labels.label!.dataSync()), [0, 1]);
    assert.deepEqual(Array.from(batch.masks.label!.dataSync()), [1, 1]);
    disposeBatch(batch);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('loadCsvDataset: standardisation fits mean/std on the file and a fitted preprocessing is reused on a test set', () => {
  const train = load('x,c,y\n1,5,0\n2,5,1\n3,5,0\n', {
    features: ['x', 'c'],
    targets: [{ name: 'y', kind: 'binary', columns: ['y'] }],
    standardize: true,
  });
  const [fx, fc] = train.preprocessor.features;
  assert.equal(fx!.kind, 'numeric');
  assert.equal(fc!.kind, 'numeric');
  const std = Math.sqrt(2 / 3);
  assert.equal((fx as { scaling: { mean: number } }).scaling.mean, 2);
  assert.ok(Math.abs((fx as { scaling: { std: number } }).scaling.std - std) < 1e-12);
  assert.deepEqual((fc as { scaling: unknown }).scaling, { mean: 5, std: 1 }, 'a constant column keeps std 1');
  assert.deepEqual(train.featureNames, ['x', 'c']);
  const x = train.dataset.features.data;
  [-1 / std, 0, 0, 0, 1 / std, 0].forEach((v, k) => assert.ok(Math.abs(x[k]! - v) < 1e-6, `x[${k}]`));
  // The test set is read with the training set's statistics, whatever its own column order.
  const testSet = load('c,y,x\n7,1,4\n', {
    features: 'rest',
    targets: [{ name: 'y', kind: 'binary', columns: ['y'] }],
    preprocessor: train.preprocessor,
  });
  assert.ok(Math.abs(testSet.dataset.features.data[0]! - 2 / std) < 1e-5);
  assert.equal(testSet.dataset.features.data[1], 2);
  assert.equal(testSet.preprocessor, train.preprocessor);
  assertMtlError(
    () => load('c,y\n1,0\n', { features: 'rest', targets: [{ name: 'y', kind: 'binary', columns: ['y'] }], preprocessor: train.preprocessor }),
    'data.csv_unknown_column',
    'features[0]',
    '"x"',
  );
});

test('loadCsvDataset: multiclass from integers, from a class list and from a class count', () => {
  const text = 'f,k\n0,2\n1,0\n2,\n3,2\n';
  const auto = load(text, { features: ['f'], targets: [{ name: 'k', kind: 'multiclass', columns: ['k'] }] });
  assert.deepEqual(Array.from(auto.dataset.targets.k!.values), [2, 0, 0, 2]);
  assert.deepEqual(auto.classes.k, ['0', '1', '2'], 'integers are class indices');
  const counted = load(text, { features: ['f'], targets: [{ name: 'k', kind: 'multiclass', columns: ['k'], classes: 3 }] });
  assert.deepEqual(Array.from(counted.dataset.targets.k!.values), [2, 0, 0, 2]);
  assertMtlError(
    () => load(text, { features: ['f'], targets: [{ name: 'k', kind: 'multiclass', columns: ['k'], classes: 2 }] }),
    'data.csv_unknown_class',
    'data.csv: row 2, column "k"',
    'class index 0..1',
  );
  const named = load('f,size\n1,large\n2,small\n3,medium\n', {
    features: ['f'],
    targets: [{ name: 'size', kind: 'multiclass', columns: ['size'], classes: ['small', 'medium', 'large'] }],
  });
  assert.deepEqual(Array.from(named.dataset.targets.size!.values), [2, 0, 1]);
  assert.deepEqual(named.classes.size, ['small', 'medium', 'large']);
  assertMtlError(
    () =>
      load('f,size\n1,large\n2,Smal\n', {
        features: ['f'],
        targets: [{ name: 'size', kind: 'multiclass', columns: ['size'], classes: ['small', 'medium', 'large'] }],
      }),
    'data.csv_unknown_class',
    'data.csv: row 3, column "size"',
    '[small, medium, large]',
    'did you mean "small"',
  );
});

test('loadCsvDataset: unknown columns list the header and suggest the closest name', () => {
  assertMtlError(
    () => load('age,income\n1,2\n', { features: ['agee'], targets: [{ name: 'i', kind: 'regression', columns: ['income'] }] }),
    'data.csv_unknown_column',
    'data.csv: features[0]',
    '[age, income]',
    'did you mean "age"',
  );
  assertMtlError(
    () => load('age,income\n1,2\n', { features: ['age'], targets: [{ name: 'i', kind: 'regression', columns: ['zzzzzz'] }] }),
    'data.csv_unknown_column',
    'targets[0].columns',
    'case-sensitive',
  );
});

test('loadCsvDataset: a stray cell in a numeric column names the row and column; NA-like cells are missing, not errors', () => {
  const args: CsvDatasetArgs = { features: ['age', 'w'], targets: [{ name: 'y', kind: 'regression', columns: ['y'] }] };
  assertMtlError(() => load('age,w,y\n1,2,3\n2,abc,6\n3,4,5\n', args), 'data.bad_feature', 'data.csv: row 3, column "w"', '"abc"', '2 of its 3 filled cells', 'naValues', 'categorical: ["w"]');
  assertMtlError(() => load('age,w,y\n1,Infinity,3\n2,4,5\n3,5,6\n', args), 'data.bad_feature', '"Infinity"');
  // The row is the file's line number, counting blank lines and embedded line breaks.
  assertMtlError(() => load('age,w,y\n\n1,"2",3\n"4",x,6\n5,6,7\n', args), 'data.bad_feature', 'row 4, column "w"');
  // Empty, NA, NaN, null and N/A (any case) are missing values, imputed with the mean.
  const { dataset, preprocessor } = load('age,w,y\n1,,3\n,na,3\n3,NaN,3\nnull,4,3\n5,N/A,3\n', args);
  assert.deepEqual(
    preprocessor.features.map((f) => f.kind === 'numeric' && f.imputation),
    [
      { strategy: 'mean', value: 3 },
      { strategy: 'mean', value: 4 },
    ],
  );
  assert.deepEqual(Array.from(dataset.features.data), [1, 4, 3, 4, 3, 4, 3, 4, 5, 4]);
});

test('loadCsvDataset: bad label cells and partially empty multi-column tasks', () => {
  assertMtlError(
    () => load('f,s\n1,maybe\n', { features: ['f'], targets: [{ name: 's', kind: 'binary', columns: ['s'] }] }),
    'data.csv_bad_label',
    'data.csv: row 2, column "s"',
    '0/1, true/false or yes/no',
  );
  assertMtlError(
    () => load('f,r\n1,2\n2,high\n', { features: ['f'], targets: [{ name: 'r', kind: 'regression', columns: ['r'] }] }),
    'data.csv_bad_label',
    'row 3, column "r"',
  );
  assertMtlError(
    () => load('f,a,b\n1,1,0\n2,1,\n', { features: ['f'], targets: [{ name: 'tags', kind: 'multilabel', columns: ['a', 'b'] }] }),
    'data.csv_partial_label',
    'data.csv: row 3, task "tags"',
    'empty "b" but not the others',
  );
});

test('loadCsvDataset: bad target definitions fail before any cell is read', () => {
  const text = 'f,a,b\n1,0,1\n';
  assertMtlError(
    () => load(text, { features: ['f'], targets: [{ name: 'x', kind: 'binary', columns: ['a', 'b'] }] }),
    'data.csv_target',
    'exactly one column',
  );
  assertMtlError(
    () => load(text, { features: ['f', 'a'], targets: [{ name: 'x', kind: 'binary', columns: ['a'] }] }),
    'data.csv_target',
    'column "a", a column of task "x"',
  );
  assertMtlError(
    () => load(text, { features: 'rest', targets: [{ name: 'x', kind: 'regresion' as 'regression', columns: ['a'] }] }),
    'data.csv_target',
    'did you mean "regression"',
  );
  assertMtlError(
    () =>
      load(text, {
        features: ['f'],
        targets: [
          { name: 'x', kind: 'binary', columns: ['a'] },
          { name: 'y', kind: 'binary', columns: ['a'] },
        ],
      }),
    'data.csv_target',
    'also in task "x"',
  );
  assertMtlError(
    () => load('a\n1\n', { features: 'rest', targets: [{ name: 'a', kind: 'regression', columns: ['a'] }] }),
    'data.csv_target',
    'at least one feature column',
  );
});

test('loadCsvDataset reads a file path and names a missing file', () => {
  const path = join(tmp, 'small.csv');
  writeFileSync(path, 'x,y\r\n1,2\r\n3,\r\n');
  const { dataset } = loadCsvDataset(path, { features: ['x'], targets: [{ name: 'y', kind: 'regression', columns: ['y'] }] });
  assert.equal(dataset.source, path);
  assert.deepEqual(Array.from(dataset.targets.y!.mask!), [1, 0]);
  assertMtlError(
    () => loadCsvDataset('/nonexistent/x.csv', { features: ['x'], targets: [] }),
    'data.file_missing',
    '/nonexistent/x.csv',
    'use { text }',
  );
  assertMtlError(
    () => loadCsvDataset(path, { features: ['x', 'q'], targets: [] }),
    'data.csv_unknown_column',
    `${path}: features[1]`,
  );
});
