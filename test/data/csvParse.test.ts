import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CsvRecordParser, detectDelimiter, parseCsv, type CsvRecord } from '../../src/data/csvParse.js';
import { openCsv } from '../../src/data/csvSource.js';
import { MtlError } from '../../src/errors.js';
import { Random } from '../../src/random/random.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtl-csvparse-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('detectDelimiter: comma, semicolon and tab, with quoted delimiters and decimal commas', () => {
  assert.equal(detectDelimiter('a,b,c\n1,2,3\n'), ',');
  assert.equal(detectDelimiter('a;b;c\n1;2,5;3\n4;5,0;6\n'), ';', 'decimal commas do not make it comma-separated');
  assert.equal(detectDelimiter('a\tb\n"x\ty"\t2\n'), '\t');
  assert.equal(detectDelimiter('name;note\n"Smith; J";"a,b,c"\n'), ';', 'delimiters inside quotes do not count');
  assert.equal(detectDelimiter('a\n1\n2\n'), ',', 'one column: comma');
  // Consistency beats width: commas give 3 fields in the header but 2 in a row.
  assert.equal(detectDelimiter('a,b;c\n1,2;3\n4;5\n', true), ';');
});

test('parseCsv reads semicolon- and tab-separated files, detected or given', () => {
  const semi = parseCsv('x;y\n1,5;"a;b"\n', 'f.csv');
  assert.equal(semi.delimiter, ';');
  assert.deepEqual(semi.rows, [['1,5', 'a;b']]);
  const tab = parseCsv('x\ty\n1\t2\n', 'f.tsv');
  assert.deepEqual(tab.rows, [['1', '2']]);
  assert.deepEqual(parseCsv('x,y\n1;2,3\n', 'f', { delimiter: ',' }).rows, [['1;2', '3']]);
  // A quoted field followed by the wrong delimiter names the expected one.
  assert.throws(
    () => parseCsv('a;b\n"x",2\n', 'f.csv', { delimiter: ';' }),
    (e: unknown) => e instanceof MtlError && e.code === 'data.csv_syntax' && e.message.includes('a semicolon or a line end'),
  );
});

test('a one-column read of a semicolon file gets a hint about the delimiter', () => {
  assert.throws(
    () => parseCsv('ab\n"1,5;2",3\n', 'f.csv', { delimiter: ',' }),
    (e: unknown) => e instanceof MtlError && e.code === 'data.csv_field_count' && /semicolon-separated, set delimiter: ";"/.test(e.fix ?? ''),
  );
});

/** Records of `text` parsed in pieces cut at `cuts`. */
function parsePieces(text: string, cuts: number[], delimiter: ',' | ';' = ','): CsvRecord[] {
  const parser = new CsvRecordParser('t', delimiter);
  const out: CsvRecord[] = [];
  let at = 0;
  for (const c of [...cuts, text.length]) {
    parser.push(text.slice(at, c), c === text.length, out);
    at = c;
  }
  return out;
}

test('the incremental parser gives the same records however the text is cut', () => {
  const text = '\uFEFFid,note,v\r\n1,"a ""quoted"", value",2\r\n\r\n2,"two\r\nlines",3\n3,,\r4,"",5\n"5","x""",6';
  const whole = parsePieces(text, []);
  assert.deepEqual(
    whole.map((r) => r.fields),
    [['id', 'note', 'v'], ['1', 'a "quoted", value', '2'], ['2', 'two\r\nlines', '3'], ['3', '', ''], ['4', '', '5'], ['5', 'x"', '6']],
  );
  assert.deepEqual(whole.map((r) => r.line), [1, 2, 4, 6, 7, 8]);
  // Every single cut, and random sets of cuts (inside quotes, between CR and LF, inside a doubled quote).
  for (let c = 0; c <= text.length; c++) assert.deepEqual(parsePieces(text, [c]), whole, `cut at ${c}`);
  const random = new Random(3);
  for (let trial = 0; trial < 200; trial++) {
    const cuts = Array.from({ length: 1 + random.int(8) }, () => random.int(text.length + 1)).sort((a, b) => a - b);
    assert.deepEqual(parsePieces(text, cuts), whole, `cuts ${cuts.join(',')}`);
  }
});

test('openCsv reads a file in chunks (any chunk size) with the same records as the text, and re-reads it on every pass', () => {
  const rows = ['a;b;c'];
  for (let i = 0; i < 500; i++) rows.push(`${i};"é ${i}; ünï ${'x'.repeat(i % 7)}";${i % 3 === 0 ? '' : i * 0.5}`);
  const text = rows.join('\r\n') + '\r\n';
  const path = join(tmp, 'chunks.csv');
  writeFileSync(path, text);
  const expected = parseCsv(text, path);
  for (const chunkBytes of [1, 7, 64, 4096]) {
    const source = openCsv(path, { chunkBytes });
    assert.equal(source.delimiter, ';');
    assert.deepEqual(source.header, ['a', 'b', 'c']);
    for (let pass = 0; pass < 2; pass++) {
      const got = [...source.records()];
      assert.deepEqual(got.map((r) => r.fields), expected.rows, `chunk ${chunkBytes}, pass ${pass}`);
      assert.deepEqual(got.map((r) => r.line), expected.lines);
    }
  }
  assert.throws(() => openCsv(join(tmp, 'none.csv')), (e: unknown) => e instanceof MtlError && e.code === 'data.file_missing');
  writeFileSync(join(tmp, 'bad.csv'), 'a,b\n1,2\n3\n');
  const bad = openCsv(join(tmp, 'bad.csv'), { chunkBytes: 3 });
  assert.throws(() => [...bad.records()], (e: unknown) => e instanceof MtlError && e.code === 'data.csv_field_count' && e.path.endsWith('row 3'));
});
