import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileError } from './fileErrors.js';

/*
 * File writes of a run, each turning a system refusal (a read-only folder, a full disk,
 * a missing permission) into a coded MtlError naming the file (see fileError). They go
 * through the `fs` module object, so a test can make one of them fail (ENOSPC, EROFS)
 * with node:test's `mock.method(fs, ...)`.
 */

/** Write a whole file (replacing it). */
export function writeFileChecked(path: string, data: string | Uint8Array, what = 'the file'): void {
  try {
    fs.writeFileSync(path, data);
  } catch (error) {
    throw fileError(error, path, 'write', what);
  }
}

/**
 * Replace a file atomically: write a temporary sibling, then rename it over the file, so
 * that a reader (or a crash) sees the old content or the new, never half of it. On a
 * failure the temporary file is removed and the old file is left as it was.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, what = 'the file'): void {
  const tmp = join(dirname(path), `.${basenameOf(path)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, path);
  } catch (error) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The write already failed; the error below is the one to report.
    }
    throw fileError(error, path, 'write', what);
  }
}

/** Append to a file. */
export function appendFileChecked(path: string, data: string, what = 'the file'): void {
  try {
    fs.appendFileSync(path, data);
  } catch (error) {
    throw fileError(error, path, 'write', what);
  }
}

/** Cut a file back to `bytes`. */
export function truncateFileChecked(path: string, bytes: number, what = 'the file'): void {
  try {
    fs.truncateSync(path, bytes);
  } catch (error) {
    throw fileError(error, path, 'write', what);
  }
}

/** Create a folder and its parents (nothing when it exists). */
export function makeFolderChecked(path: string, what = 'the folder'): void {
  try {
    fs.mkdirSync(path, { recursive: true });
  } catch (error) {
    throw fileError(error, path, 'create', what);
  }
}

/** Rename a file or folder. */
export function renameChecked(from: string, to: string, what = 'the file'): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    throw fileError(error, from, 'rename', what);
  }
}

/**
 * Check that a folder takes writes now, before a run spends time training: write and
 * remove a small probe file. A read-only folder, a missing permission or a full disk
 * is a coded error here rather than after an epoch of training.
 *
 * @throws MtlError `io.read_only`, `io.permission_denied`, `io.disk_full`, ... (see fileError).
 */
export function checkWritable(dir: string, what = 'the run folder'): void {
  const probe = join(dir, `.mtl-write-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'tfjs-multitask write probe: removed right away\n');
  } catch (error) {
    throw fileError(error, dir, 'write', `${what} (a probe file)`);
  }
  try {
    fs.rmSync(probe, { force: true });
  } catch (error) {
    throw fileError(error, probe, 'remove', 'the write probe');
  }
}

function basenameOf(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}
