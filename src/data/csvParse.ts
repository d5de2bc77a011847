import { MtlError } from '../errors.js';

/** RFC 4180 CSV parsing: text to a header and rows of string fields, with line numbers. */

/** A parsed CSV file: the header and the records, each with the line it starts on. */
export interface CsvTable {
  header: string[];
  rows: string[][];
  /** 1-based line number where each row starts (the header is line 1 unless blank lines precede it). */
  lines: number[];
  /** File name or description used in error messages. */
  source: string;
}

/**
 * Parse CSV text (RFC 4180): comma-separated fields, fields in double quotes may hold
 * commas, line breaks and doubled quotes (`""` for `"`); LF, CRLF or CR line ends; a
 * leading byte-order mark is dropped; blank (or whitespace-only) lines and a trailing
 * line end are skipped. The first non-blank record is the header; header names are
 * trimmed and must be unique. A quote inside an unquoted field is kept literally.
 *
 * @throws MtlError `data.csv_syntax` for an unclosed quote or text after a closing
 *   quote, `data.csv_header` for an empty file or duplicate column names,
 *   `data.csv_field_count` for a row whose number of fields differs from the header's.
 * @example
 * ```ts
 * parseCsv('a,b\n1,"x, ""y"""\n').rows; // [['1', 'x, "y"']]
 * ```
 */
export function parseCsv(text: string, source = 'CSV text'): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: string[][] = [];
  const lines: number[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === 0x22) {
        const openLine = line;
        i++;
        value = '';
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            throw new MtlError({
              code: 'data.csv_syntax',
              path: `${source}: row ${openLine}`,
              expected: 'a closing double quote for the quoted field opened on this line',
              found: 'the end of the file',
              fix: 'close the quote, and write a quote inside a quoted field as two quotes ("")',
            });
          }
          const piece = text.slice(i, q);
          value += piece;
          line += countLineBreaks(piece);
          if (text.charCodeAt(q + 1) === 0x22) {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        blank = false;
        const next = text.charCodeAt(i);
        if (i < n && next !== 0x2c && next !== 0x0a && next !== 0x0d) {
          throw new MtlError({
            code: 'data.csv_syntax',
            path: `${source}: row ${line}`,
            expected: 'a comma or a line end after the closing quote of a quoted field',
            found: `${JSON.stringify(text.slice(i, i + 10))} after "${value.length > 20 ? value.slice(0, 20) + '…' : value}"`,
            fix: 'quote the whole field, and write a quote inside it as two quotes ("")',
          });
        }
      } else {
        let j = i;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === 0x2c || c === 0x0a || c === 0x0d) break;
        }
        value = text.slice(i, j);
        if (value.trim() !== '') blank = false;
        i = j;
      }
      fields.push(value);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        blank = false;
        i++;
        continue;
      }
      i += c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      line++;
      break;
    }
    if (blank) continue;
    records.push(fields);
    lines.push(startLine);
  }
  if (records.length === 0) {
    throw new MtlError({
      code: 'data.csv_header',
      path: source,
      expected: 'a header row naming the columns',
      found: 'an empty file',
    });
  }
  const header = records[0]!.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((h, k) => {
    if (seen.has(h)) {
      throw new MtlError({
        code: 'data.csv_header',
        path: `${source}: header`,
        expected: 'unique column names',
        found: `${JSON.stringify(h)} in columns ${seen.get(h)! + 1} and ${k + 1}`,
        fix: 'rename one of the columns',
      });
    }
    seen.set(h, k);
  });
  const rows = records.slice(1);
  const rowLines = lines.slice(1);
  rows.forEach((r, k) => {
    if (r.length !== header.length) {
      throw new MtlError({
        code: 'data.csv_field_count',
        path: `${source}: row ${rowLines[k]}`,
        expected: `${header.length} fields, as in the header`,
        found: `${r.length} fields`,
        fix: 'quote fields that contain commas, and give every row one field per column (empty for a missing value)',
      });
    }
  });
  return { header, rows, lines: rowLines, source };
}

function countLineBreaks(s: string): number {
  let count = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x0a) count++;
    else if (c === 0x0d && s.charCodeAt(k + 1) !== 0x0a) count++;
  }
  return count;
}
