import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { z } from 'zod';
import { MtlError } from '../errors.js';
import { fileError } from './fileErrors.js';

/** Options of {@link readRegularFile}. */
export interface ReadFileOptions {
  /** What the file is, for error messages (e.g. `the run's summary.json`). @defaultValue 'the file' */
  what?: string;
  /** Refuse a larger file before reading it. @defaultValue no limit */
  maxBytes?: number;
  /** Refuse a file of another size before reading it (a manifest's byte count). */
  expectedBytes?: number;
}

/**
 * Read a file that must be a regular file: a folder, a named pipe (which would block
 * forever), a device (`/dev/zero` never ends) or a socket is a coded error, checked on
 * the opened descriptor (opened non-blocking, so a pipe cannot hang the open) before a
 * byte is read; so is a size above `maxBytes` or other than `expectedBytes`. Every
 * system error becomes an MtlError naming the file ({@link fileError}).
 *
 * @throws MtlError `io.not_regular_file`, `io.file_too_large`, `io.size_mismatch`, and those of {@link fileError}.
 */
export function readRegularFile(path: string, options: ReadFileOptions = {}): Buffer {
  const what = options.what ?? 'the file';
  const { fd, size } = openRegularFile(path, options);
  try {
    const buffer = Buffer.allocUnsafe(size);
    let offset = 0;
    while (offset < size) {
      const n = readSync(fd, buffer, offset, size - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    if (offset !== size) {
      throw new MtlError({ code: 'io.size_mismatch', path, expected: `${what} of ${size} bytes`, found: `${offset} bytes (the file shrank while it was read)`, fix: 'make sure no other program writes the file, then try again' });
    }
    return buffer;
  } catch (error) {
    throw fileError(error, path, 'read', what);
  } finally {
    closeSync(fd);
  }
}

/**
 * Open a file for reading after checking that it is a regular file (opened without
 * blocking, so a named pipe is reported instead of waiting for a writer; a device such
 * as /dev/zero is refused instead of read forever) and, where asked, of the expected
 * size. The caller closes the descriptor.
 *
 * @throws MtlError `io.not_regular_file`, `io.is_directory`, `io.file_too_large`, `io.size_mismatch`, and those of {@link fileError}.
 */
export function openRegularFile(path: string, options: ReadFileOptions = {}): { fd: number; size: number } {
  const what = options.what ?? 'the file';
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(error, path, 'read', what);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a named pipe' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : stat.isSocket() ? 'a socket' : 'not a regular file';
      throw new MtlError({ code: stat.isDirectory() ? 'io.is_directory' : 'io.not_regular_file', path, expected: `${what}, a regular file`, found: kind, fix: 'point to the file itself' });
    }
    if (options.expectedBytes !== undefined && stat.size !== options.expectedBytes) {
      throw new MtlError({
        code: 'io.size_mismatch',
        path,
        expected: `${what} of ${options.expectedBytes} bytes`,
        found: `${stat.size} bytes${stat.size < options.expectedBytes ? ' (truncated)' : ''}`,
        fix: 'the file is damaged or belongs to another model: restore it, or train again',
      });
    }
    if (options.maxBytes !== undefined && stat.size > options.maxBytes) {
      throw new MtlError({ code: 'io.file_too_large', path, expected: `${what} of at most ${options.maxBytes} bytes`, found: `${stat.size} bytes`, fix: 'check that this is the right file' });
    }
    return { fd, size: stat.size };
  } catch (error) {
    closeSync(fd);
    throw fileError(error, path, 'read', what);
  }
}

/** Read a regular file as UTF-8 text (see {@link readRegularFile}). */
export function readTextFile(path: string, options: ReadFileOptions = {}): string {
  return readRegularFile(path, options).toString('utf8');
}

/** Experiment, run and checkpoint JSON files are small; anything larger is not one. @defaultValue 256 MiB */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

/**
 * Read and validate a JSON file: not a regular file, unparsable (a truncated write) or
 * not of the expected shape are coded errors naming the file and, for a shape
 * problem, the field.
 *
 * @throws MtlError `io.bad_json` (the parser's message, e.g. "Unexpected end of JSON
 *   input" for a truncated file), `io.bad_file` (the first schema problem, with its
 *   field path), and those of {@link readRegularFile}.
 */
export function readJsonFile<S extends z.ZodTypeAny>(path: string, schema: S, options: ReadFileOptions = {}): z.output<S> {
  const what = options.what ?? 'the file';
  const text = readTextFile(path, { maxBytes: MAX_JSON_BYTES, ...options });
  return parseJsonText(text, path, schema, what);
}

/** Parse and validate JSON text that came from `path` (see {@link readJsonFile}). */
export function parseJsonText<S extends z.ZodTypeAny>(text: string, path: string, schema: S, what = 'the file'): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MtlError({
      code: 'io.bad_json',
      path,
      expected: `${what}, valid JSON`,
      found: text.length === 0 ? 'an empty file' : `${(error as Error).message.split('\n')[0]} (${text.length} bytes; a truncated or damaged write)`,
      fix: 'the file is damaged: restore it, or train again (--force)',
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = (parsed.error as z.ZodError).issues[0]!;
    const field = issue.path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : String(p)), '');
    throw new MtlError({
      code: 'io.bad_file',
      path: field ? `${path}: ${field}` : path,
      expected: `${what} as mtl writes it`,
      found: issue.message,
      fix: 'the file is damaged or was edited: restore it, or train again (--force)',
    });
  }
  return parsed.data;
}
