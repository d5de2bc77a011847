import { MtlError } from '../errors.js';

/**
 * CSV parsing (RFC 4180 with a choice of delimiter): text, whole or in chunks, to
 * records of string fields with the line each starts on. Nothing here touches the file
 * system, so the browser can use it too; `csvSource.ts` reads files in chunks.
 */

/** The field delimiters tfjs-multitask reads: comma, semicolon or tab. */
export type CsvDelimiter = ',' | ';' | '\t';

/** Every delimiter {@link detectDelimiter} chooses from, in order of preference on a tie. */
export const CSV_DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];

/** The delimiter's name in messages: `comma`, `semicolon`, `tab`. */
export function delimiterName(d: CsvDelimiter): string {
  return d === ',' ? 'comma' : d === ';' ? 'semicolon' : 'tab';
}

/** One record of a CSV file: its fields and the 1-based line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** A parsed CSV file: the header and the records, each with the line it starts on. */
export interface CsvTable {
  header: string[];
  rows: string[][];
  /** 1-based line number where each row starts (the header is line 1 unless blank lines precede it). */
  lines: number[];
  /** File name or description used in error messages. */
  source: string;
  /** The delimiter the fields were split on. */
  delimiter: CsvDelimiter;
}

/** A record may not grow beyond this many characters while the parser waits for its end (an unclosed quote, read to the end of a huge file). */
const MAX_PENDING_CHARS = 64 * 1024 * 1024;

/**
 * An incremental CSV parser: feed it the text in pieces ({@link push}); it returns the
 * records each piece completes and keeps an incomplete last record for the next piece.
 * The records are the same as one {@link parseCsv} of the whole text, however the text
 * is cut (inside a quoted field, between the two characters of a CRLF or of a doubled
 * quote). Blank records (empty or whitespace-only lines) are skipped; a byte-order mark
 * at the very start is dropped.
 */
export class CsvRecordParser {
  private pending = '';
  private line = 1;
  private started = false;

  constructor(
    /** File name or description used in error messages. */
    readonly source: string,
    readonly delimiter: CsvDelimiter,
  ) {}

  /**
   * Parse `chunk` (appended to what is pending); `final` marks the end of the input.
   * Complete records are appended to `out`.
   * @throws MtlError `data.csv_syntax` for an unclosed quote (at the end) or text after a closing quote.
   */
  push(chunk: string, final: boolean, out: CsvRecord[]): void {
    let text = this.pending + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const consumed = this.parse(text, final, out);
    this.pending = text.slice(consumed);
    if (this.pending.length > MAX_PENDING_CHARS) {
      throw new MtlError({
        code: 'data.csv_syntax',
        path: `${this.source}: row ${this.line}`,
        expected: `a record that ends within ${MAX_PENDING_CHARS / (1024 * 1024)} M characters`,
        found: 'a record still open after that many (probably a quoted field that is never closed)',
        fix: 'close the quote, and write a quote inside a quoted field as two quotes ("")',
      });
    }
  }

  /** Parse complete records of `text` into `out`; returns how many characters were consumed. */
  private parse(text: string, final: boolean, out: CsvRecord[]): number {
    const n = text.length;
    const delim = this.delimiter.charCodeAt(0);
    let i = 0;
    while (i < n) {
      const recordStart = i;
      const startLine = this.line;
      const fields: string[] = [];
      let blank = true;
      let complete = true;
      for (;;) {
        let value: string;
        if (text.charCodeAt(i) === 0x22) {
          const openLine = this.line;
          let j = i + 1;
          value = '';
          let closed = false;
          for (;;) {
            const q = text.indexOf('"', j);
            if (q < 0 || (q === n - 1 && !final)) {
              // The closing quote is not here yet, or may be the first of a doubled quote.
              if (!final) break;
              throw new MtlError({
                code: 'data.csv_syntax',
                path: `${this.source}: row ${openLine}`,
                expected: 'a closing double quote for the quoted field opened on this line',
                found: 'the end of the file',
                fix: 'close the quote, and write a quote inside a quoted field as two quotes ("")',
              });
            }
            const piece = text.slice(j, q);
            value += piece;
            this.line += countLineBreaks(piece);
            if (text.charCodeAt(q + 1) === 0x22) {
              value += '"';
              j = q + 2;
            } else {
              j = q + 1;
              closed = true;
              break;
            }
          }
          if (!closed) {
            complete = false;
            break;
          }
          i = j;
          blank = false;
          const next = text.charCodeAt(i);
          if (i < n && next !== delim && next !== 0x0a && next !== 0x0d) {
            throw new MtlError({
              code: 'data.csv_syntax',
              path: `${this.source}: row ${this.line}`,
              expected: `a ${delimiterName(this.delimiter)} or a line end after the closing quote of a quoted field`,
              found: `${JSON.stringify(text.slice(i, i + 10))} after "${value.length > 20 ? value.slice(0, 20) + '…' : value}"`,
              fix: 'quote the whole field, and write a quote inside it as two quotes ("")',
            });
          }
        } else {
          let j = i;
          for (; j < n; j++) {
            const c = text.charCodeAt(j);
            if (c === delim || c === 0x0a || c === 0x0d) break;
          }
          if (j === n && !final) {
            complete = false;
            break;
          }
          value = text.slice(i, j);
          if (blank && value.trim() !== '') blank = false;
          i = j;
        }
        fields.push(value);
        if (i >= n) break;
        const c = text.charCodeAt(i);
        if (c === delim) {
          blank = false;
          i++;
          continue;
        }
        if (c === 0x0d && i === n - 1 && !final) {
          // A CR at the end of this piece may be the first half of a CRLF.
          complete = false;
          break;
        }
        i += c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
        this.line++;
        break;
      }
      if (!complete) {
        this.line = startLine;
        return recordStart;
      }
      if (!blank) out.push({ fields, line: startLine });
    }
    return n;
  }
}

/**
 * The delimiter of a CSV text from a sample of its start: each of comma, semicolon and
 * tab splits the first records (quotes respected); the one that gives every sampled
 * record the header's number of fields, with the most fields, wins (ties in the order
 * comma, semicolon, tab). When none is consistent, the one whose header has the most
 * fields; a one-column file is comma-separated.
 *
 * @param complete whether `sample` is the whole text (its last record is then complete).
 * @example
 * ```ts
 * detectDelimiter('a;b;c\n1;2,5;3\n'); // ';'
 * ```
 */
export function detectDelimiter(sample: string, complete = true): CsvDelimiter {
  let best: { d: CsvDelimiter; fields: number; consistent: boolean } | undefined;
  for (const d of CSV_DELIMITERS) {
    const records: CsvRecord[] = [];
    try {
      new CsvRecordParser('sample', d).push(sample, complete, records);
    } catch {
      continue;
    }
    const sampled = records.slice(0, 50);
    const header = sampled[0]?.fields.length ?? 0;
    if (header < 2) continue;
    const consistent = sampled.every((r) => r.fields.length === header);
    const better =
      !best ||
      (consistent && !best.consistent) ||
      (consistent === best.consistent && header > best.fields);
    if (better) best = { d, fields: header, consistent };
  }
  return best?.d ?? ',';
}

/** Options of {@link parseCsv}. */
export interface CsvParseOptions {
  /** The field delimiter, or `auto` to detect it with {@link detectDelimiter}. @defaultValue 'auto' */
  delimiter?: CsvDelimiter | 'auto';
}

/**
 * Parse CSV text (RFC 4180): fields separated by a comma, semicolon or tab (detected
 * unless given), fields in double quotes may hold the delimiter, line breaks and doubled
 * quotes (`""` for `"`); LF, CRLF or CR line ends; a leading byte-order mark is dropped;
 * blank (or whitespace-only) lines and a trailing line end are skipped. The first
 * non-blank record is the header; header names are trimmed and must be unique. A quote
 * inside an unquoted field is kept literally.
 *
 * @throws MtlError `data.csv_syntax` for an unclosed quote or text after a closing
 *   quote, `data.csv_header` for an empty file or duplicate column names,
 *   `data.csv_field_count` for a row whose number of fields differs from the header's.
 * @example
 * ```ts
 * parseCsv('a,b\n1,"x, ""y"""\n').rows; // [['1', 'x, "y"']]
 * ```
 */
export function parseCsv(text: string, source = 'CSV text', options: CsvParseOptions = {}): CsvTable {
  const delimiter = !options.delimiter || options.delimiter === 'auto' ? detectDelimiter(text.slice(0, 65536), text.length <= 65536) : options.delimiter;
  const records: CsvRecord[] = [];
  new CsvRecordParser(source, delimiter).push(text, true, records);
  if (records.length === 0) throw emptyCsvError(source);
  const header = csvHeader(records[0]!.fields, source);
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let k = 1; k < records.length; k++) {
    const r = records[k]!;
    checkFieldCount(r, header, source, delimiter);
    rows.push(r.fields);
    lines.push(r.line);
  }
  return { header, rows, lines, source, delimiter };
}

/** The error for a file with no header. */
export function emptyCsvError(source: string): MtlError {
  return new MtlError({ code: 'data.csv_header', path: source, expected: 'a header row naming the columns', found: 'an empty file' });
}

/** Trim and check a header record: names must be unique. */
export function csvHeader(fields: readonly string[], source: string): string[] {
  const header = fields.map((h) => h.trim());
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
  return header;
}

/** A data record must have the header's number of fields. */
export function checkFieldCount(record: CsvRecord, header: readonly string[], source: string, delimiter: CsvDelimiter): void {
  if (record.fields.length === header.length) return;
  const other = CSV_DELIMITERS.find((d) => d !== delimiter && record.fields.join(delimiter).includes(d));
  throw new MtlError({
    code: 'data.csv_field_count',
    path: `${source}: row ${record.line}`,
    expected: `${header.length} fields, as in the header (fields separated by a ${delimiterName(delimiter)})`,
    found: `${record.fields.length} fields`,
    fix:
      `quote fields that contain a ${delimiterName(delimiter)}, and give every row one field per column (empty for a missing value)` +
      (other && header.length === 1 ? `; if the file is ${delimiterName(other)}-separated, set delimiter: ${JSON.stringify(other)}` : ''),
  });
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
