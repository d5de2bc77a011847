import { MtlError } from '../errors.js';

/** What was being done to the file when the system refused. */
export type FileAction = 'read' | 'write' | 'create' | 'remove' | 'rename';

/**
 * Turn a Node file-system error into a coded MtlError naming the file: the user sees
 * which file, what the system said, and what to do, never a raw `ENOSPC` / `EROFS` /
 * `ENOENT` stack trace. Errors that are already MtlErrors pass through.
 *
 * Codes: `io.file_missing` (ENOENT), `io.is_directory` (EISDIR), `io.not_directory`
 * (ENOTDIR), `io.permission_denied` (EACCES, EPERM), `io.read_only` (EROFS),
 * `io.disk_full` (ENOSPC, EDQUOT), `io.file_failed` (anything else).
 *
 * @param what - what the file is, for the message (e.g. `the checkpoint's state.json`).
 */
export function fileError(error: unknown, path: string, action: FileAction, what = 'the file'): MtlError {
  if (error instanceof MtlError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const verb = { read: 'read', write: 'write', create: 'create', remove: 'remove', rename: 'rename' }[action];
  const expected = action === 'read' ? `${what}, readable` : `to ${verb} ${what}`;
  const detail = (error as Error | undefined)?.message?.split('\n')[0] ?? String(error);
  switch (code) {
    case 'ENOENT':
      return new MtlError({ code: 'io.file_missing', path, expected: action === 'read' ? what : expected, found: 'no such file or folder', fix: action === 'read' ? 'check the path; a run folder\'s files are written by mtl train' : 'check that the folder exists' });
    case 'EISDIR':
      return new MtlError({ code: 'io.is_directory', path, expected: `${what}, a file`, found: 'a folder', fix: 'pass the path of the file, not of a folder' });
    case 'ENOTDIR':
      return new MtlError({ code: 'io.not_directory', path, expected: `${what} inside a folder`, found: 'a file where a folder of the path should be', fix: 'check the path' });
    case 'EACCES':
    case 'EPERM':
      return new MtlError({ code: 'io.permission_denied', path, expected, found: `permission denied (${code})`, fix: action === 'read' ? 'check the file\'s permissions' : 'make the folder writable, or choose another --run-dir' });
    case 'EROFS':
      return new MtlError({ code: 'io.read_only', path, expected, found: 'a read-only file system (EROFS)', fix: 'choose a run folder on a writable file system (--run-dir)' });
    case 'ENOSPC':
    case 'EDQUOT':
      return new MtlError({
        code: 'io.disk_full',
        path,
        expected,
        found: code === 'ENOSPC' ? 'no space left on the device (ENOSPC)' : 'the disk quota is exhausted (EDQUOT)',
        fix: 'free some space (or choose a run folder on another disk with --run-dir), then continue with --resume: the last checkpoint is kept intact',
      });
    default:
      return new MtlError({ code: 'io.file_failed', path, expected, found: code ? `${code}: ${detail}` : detail, fix: 'check the path and the file system' });
  }
}
