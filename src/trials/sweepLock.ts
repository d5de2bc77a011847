import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MtlError } from '../errors.js';

/** The lock file of a sweep folder while a coordinator runs trials into it. */
export const LOCK_FILE = '.coordinator.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claim a sweep folder for this process: two coordinators running the same trials
 * into one folder would train them twice and write over each other. A lock left by a
 * coordinator that died (its process is gone) is taken over, so a killed sweep simply
 * resumes. Returns the function that releases the lock (also released on exit).
 */
export function lockSweepFolder(sweepDir: string): () => void {
  mkdirSync(sweepDir, { recursive: true });
  const path = join(sweepDir, LOCK_FILE);
  if (existsSync(path)) {
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as typeof holder;
    } catch {
      // An unreadable lock was being written by a process that died: stale.
    }
    const here = holder.host === hostname();
    if (typeof holder.pid === 'number' && holder.pid !== process.pid && (!here || alive(holder.pid))) {
      throw new MtlError({
        code: 'trials.sweep_busy',
        path: sweepDir,
        expected: 'a sweep folder no other coordinator is running trials into',
        found: `one in use by process ${holder.pid} on ${holder.host ?? 'an unknown host'}`,
        fix: here ? 'wait for that sweep to finish (or stop it), or use another folder' : `if no coordinator runs on ${holder.host} any more, remove ${path}`,
      });
    }
  }
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n');
  const release = () => {
    try {
      const holder = JSON.parse(readFileSync(path, 'utf8')) as { pid?: number };
      if (holder.pid === process.pid) rmSync(path, { force: true });
    } catch {
      // Already gone.
    }
    process.off('exit', release);
  };
  process.on('exit', release);
  return release;
}
