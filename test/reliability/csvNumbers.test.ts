/**
 * Silent wrong results from data files: in a CSV only plain decimal numbers are numbers
 * (JavaScript's Number() reads `0x1F` as 31, `0b101` as 5, `Infinity`, and ' ' as 0),
 * and a data path must be a regular file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCsvDataset } from '../../src/data/csv.js';
import { parseNumberCell as parseDecimal } from '../../src/preprocessing/numberCell.js';
import { readIdxFile } from '../../src/data/idx.js';
import { isMtlError, scratch } from './helpers.js';

const NOT_NUMBERS = ['0x1F', '0X1f', '0b101', '0o7', '1e', '1e+', 'e5', 'Infinity', '-Infinity', '+Infinity', 'NaN', '1_000', '1,5', '1.2.3', '.', '+', '-', '--1', '1 2', '١٢', '1e999', '-1e999', 'true', '12px', '0x', '′1'];
const NUMBERS: Array<[string, number]> = [['12', 12], ['-0.5', -0.5], ['.5', 0.5], ['5.', 5], ['+3', 3], ['1.5e-3', 0.0015], ['1E3', 1000], [' 7 ', 7], ['007', 7], ['-0', -0], ['3.4e38', 3.4e38]];

test('parseDecimal: plain decimals only', () => {
  for (const text of NOT_NUMBERS) assert.ok(Number.isNaN(parseDecimal(text)), JSON.stringify(text));
  for (const [text, value] of NUMBERS) assert.equal(parseDecimal(text), value, JSON.stringify(text));
  assert.ok(Number.isNaN(parseDecimal('')) && Number.isNaN(parseDecimal('   ')));
});

test('a feature cell that is not a plain decimal is refused, naming row and column', () => {
  // 'NaN' and a blank cell are missing values (naValues): imputed, not refused.
  for (const cell of NOT_NUMBERS.filter((c) => c !== 'NaN')) {
    const text = `a,b,y\n1,2,0\n${/[,"]/.test(cell) ? `"${cell}"` : cell},3,1\n`;
    assert.throws(
      () => loadCsvDataset({ text, name: 'cells.csv' }, { features: ['a', 'b'], targets: [{ name: 'y', kind: 'binary', columns: ['y'] }] }),
      isMtlError('data.bad_feature', { path: /cells\.csv: row 3, column "a"/, expected: /a number/ }),
      JSON.stringify(cell),
    );
  }
  const ok = loadCsvDataset({ text: `a,y\n${NUMBERS.map(([t]) => `${t},1`).join('\n')}\n`, name: 'ok.csv' }, { features: ['a'], targets: [{ name: 'y', kind: 'binary', columns: ['y'] }] });
  assert.deepEqual(Array.from(ok.dataset.features.data as Float32Array), NUMBERS.map(([, v]) => Math.fround(v)));
});

test('regression and binary labels: the same rule (a blank cell is a missing label, not 0)', () => {
  const load = (cell: string, kind: 'regression' | 'binary') =>
    loadCsvDataset({ text: `a,y\n1,${kind === 'binary' ? 1 : 2.5}\n2,${cell}\n`, name: 'labels.csv' }, { features: ['a'], targets: [{ name: 'y', kind, columns: ['y'] }] });
  for (const cell of ['0x1F', 'Infinity', '1e', '1e999']) {
    assert.throws(() => load(cell, 'regression'), isMtlError('data.csv_bad_label', { path: /row 3, column "y"/ }), cell);
  }
  for (const cell of ['0x1', '0b1', '1e', '0x0', '2']) {
    assert.throws(() => load(cell, 'binary'), isMtlError('data.csv_bad_label'), cell);
  }
  // A blank cell and the naValues (NA, NaN, null, N/A) mark the label missing.
  for (const blank of ['', '   ', 'NaN', 'NA']) {
    const d = load(blank, 'regression').dataset;
    assert.deepEqual(d.labelCounts(), { y: 1 }, 'a blank cell marks the label missing');
  }
  assert.equal(load('1.0', 'binary').dataset.targets.y!.values[1], 1);
  assert.equal(load('-1.5e1', 'regression').dataset.targets.y!.values[1], -15);
});

test('multiclass integer labels read without classes: a huge index is refused instead of allocating a huge class list', () => {
  assert.throws(
    () => loadCsvDataset({ text: 'a,c\n1,0\n2,999999999\n', name: 'c.csv' }, { features: ['a'], targets: [{ name: 'c', kind: 'multiclass', columns: ['c'] }] }),
    isMtlError('data.csv_unknown_class', { path: /row 3, column "c"/, fix: /classes/ }),
  );
});

test('a CSV or IDX path that is a named pipe or a device is refused before reading (no hang, no endless read)', () => {
  const { dir, cleanup } = scratch();
  try {
    const fifo = join(dir, 'data.csv');
    execFileSync('mkfifo', [fifo]);
    const targets = [{ name: 'y', kind: 'binary' as const, columns: ['y'] }];
    assert.throws(() => loadCsvDataset(fifo, { features: 'rest', targets }), isMtlError('io.not_regular_file', { found: /a named pipe/ }));
    assert.throws(() => loadCsvDataset('/dev/zero', { features: 'rest', targets }), isMtlError('io.not_regular_file', { found: /a device/ }));
    assert.throws(() => loadCsvDataset(join(dir, 'missing.csv'), { features: 'rest', targets }), isMtlError('data.file_missing'));
    assert.throws(() => readIdxFile(fifo), isMtlError('io.not_regular_file'));
    assert.throws(() => readIdxFile('/dev/zero'), isMtlError('io.not_regular_file'));
    assert.throws(() => readIdxFile(dir), isMtlError('io.is_directory'));
  } finally {
    cleanup();
  }
});
