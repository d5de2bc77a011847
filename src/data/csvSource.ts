import { closeSync, readSync } from 'node:fs';
import { openRegularFile } from '../io/readFile.js';
import { MtlError } from '../errors.js';
import {
  CsvRecordParser,
  checkFieldCount,
  csvHeader,
  detectDelimiter,
  emptyCsvError,
  parseCsv,
  type CsvDelimiter,
  type CsvRecord,
} from './csvParse.js';

/**
 * A CSV file (or text) as a source of records that can be read again and again without
 * holding the file in memory: each {@link CsvSource.records} call reads the file from
 * the start in chunks. The data loaders make a few passes over a file (schema and split,
 * then fitting the preprocessing on the training rows, then encoding or streaming), so
 * a file larger than memory never needs to be loaded whole.
 */

/** Where CSV data comes from: a file path, or the text itself with a name for messages. */
export type CsvInput = string | { text: string; name?: string };

/** Options of {@link openCsv}. */
export interface CsvSourceOptions {
  /** Field delimiter, or `auto` to detect it from the start of the file. @defaultValue 'auto' */
  delimiter?: CsvDelimiter | 'auto';
  /**
   * Bytes read per chunk. Small chunks keep each chunk's records short-lived (a 4 MiB
   * chunk's tens of thousands of records outlive the young generation and cost about
   * six times the CPU in garbage collection). @defaultValue 64 KiB
   */
  chunkBytes?: number;
}

/** A CSV file opened for reading: its header and delimiter, and its data records on demand. */
export interface CsvSource {
  /** The file path, or the text's name. */
  readonly source: string;
  readonly header: readonly string[];
  readonly delimiter: CsvDelimiter;
  /** File size in bytes (the text's length for text input). */
  readonly bytes: number;
  /**
   * The data records (the header excluded), read from the start on every call. Each has
   * the header's number of fields (else `data.csv_field_count`).
   */
  records(): Generator<CsvRecord>;
}

const SAMPLE_BYTES = 65536;

/**
 * Open CSV input for reading: the delimiter is detected from the first 64 KiB (unless
 * given) and the header read; records are then read on demand.
 *
 * @throws MtlError `data.file_missing` for an unreadable path, and those of `parseCsv`
 *   (`data.csv_header`, `data.csv_syntax`, `data.csv_field_count`).
 */
export function openCsv(input: CsvInput, options: CsvSourceOptions = {}): CsvSource {
  if (typeof input !== 'string') return textSource(input.text, input.name ?? 'CSV text', options);
  const path = input;
  let bytes: number;
  let sample: string;
  try {
    // A regular file only: a named pipe would block forever, /dev/zero never end.
    const opened = openRegularFile(path, { what: 'a CSV file' });
    bytes = opened.size;
    const fd = opened.fd;
    try {
      const buffer = Buffer.alloc(Math.min(SAMPLE_BYTES, bytes));
      const read = readSync(fd, buffer, 0, buffer.length, 0);
      sample = new TextDecoder('utf-8').decode(buffer.subarray(0, read), { stream: true });
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (e instanceof MtlError && e.code !== 'io.file_missing') throw e;
    throw new MtlError({
      code: 'data.file_missing',
      path,
      expected: 'a readable CSV file',
      found: (e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'io.file_missing' ? 'no such file' : (e as Error).message,
      fix: 'check the path; to pass CSV content instead of a path, use { text }',
    });
  }
  const delimiter = !options.delimiter || options.delimiter === 'auto' ? detectDelimiter(sample, bytes <= SAMPLE_BYTES) : options.delimiter;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  let header: string[] | undefined;
  const all = function* (): Generator<CsvRecord> {
    const parser = new CsvRecordParser(path, delimiter);
    const decoder = new TextDecoder('utf-8');
    const buffer = Buffer.alloc(chunkBytes);
    const fd = openRegularFile(path, { what: 'a CSV file' }).fd;
    const out: CsvRecord[] = [];
    try {
      for (;;) {
        const read = readSync(fd, buffer, 0, chunkBytes, null);
        const last = read === 0;
        parser.push(last ? decoder.decode() : decoder.decode(buffer.subarray(0, read), { stream: true }), last, out);
        for (const r of out) yield r;
        out.length = 0;
        if (last) return;
      }
    } finally {
      closeSync(fd);
    }
  };
  // The header: the first record (read once here).
  for (const r of all()) {
    header = csvHeader(r.fields, path);
    break;
  }
  if (!header) throw emptyCsvError(path);
  const names = header;
  return {
    source: path,
    header: names,
    delimiter,
    bytes,
    *records() {
      let first = true;
      for (const r of all()) {
        if (first) {
          first = false;
          continue;
        }
        checkFieldCount(r, names, path, delimiter);
        yield r;
      }
    },
  };
}

function textSource(text: string, name: string, options: CsvSourceOptions): CsvSource {
  const table = parseCsv(text, name, { delimiter: options.delimiter ?? 'auto' });
  return {
    source: name,
    header: table.header,
    delimiter: table.delimiter,
    bytes: text.length,
    *records() {
      for (let k = 0; k < table.rows.length; k++) yield { fields: table.rows[k]!, line: table.lines[k]! };
    },
  };
}
