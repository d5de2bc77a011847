import { realpathSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * The real path of `relative` (a URL path below a route, still percent-encoded) inside
 * `rootReal` (a real path), or undefined when it is not inside: a `..` or `.` segment
 * (also percent-encoded, `%2e%2e`), an absolute path (`/x`, `C:\x`, `\\host`), a NUL, a
 * malformed escape, a path that does not exist, or a symbolic link whose target lies
 * outside the root. Callers answer undefined with 404, so a request cannot tell an
 * outside file from a missing one.
 */
export function resolveInside(rootReal: string, relative: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  if (/^[\\/]/.test(decoded) || /^[a-zA-Z]:/.test(decoded)) return undefined;
  const segments = decoded.split(/[\\/]+/).filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  let real: string;
  try {
    real = realpathSync(join(rootReal, ...segments));
  } catch {
    return undefined;
  }
  return real === rootReal || real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep) ? real : undefined;
}
