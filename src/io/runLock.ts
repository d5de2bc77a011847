import fs from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { MtlError } from '../errors.js';
import { fileError } from './fileErrors.js';

/**
 * One writer per run folder. A writer (training, baselines) holds `<run>/.mtl-lock`, a
 * file created exclusively (O_EXCL: of two processes, exactly one creates it) holding
 * its pid, host, start time and command. A second writer is refused with the holder's
 * pid; a lock left by a process that is gone (killed, crashed) is recognised as stale
 * and taken over with a message. With `reentrant`, a process may take a lock it holds
 * again (the trainer of a run takes the lock its caller already holds); otherwise a
 * second run of the same process is refused too.
 */

/** Name of the lock file in a run folder. */
export const LOCK_FILE = '.mtl-lock';

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  host: string;
  /** When the lock was taken (ISO time). */
  started: string;
  /** The process's start time from /proc (Linux), to tell a reused pid from the holder. */
  processStart?: string;
  command: string;
}

/** A held lock; `release` removes the lock file (once every holder in this process released it). */
export interface RunLock {
  readonly path: string;
  release(): void;
}

const held = new Map<string, { count: number; owner: LockOwner }>();
let exitHookInstalled = false;

/**
 * Take the lock of a run folder (which must exist) for writing.
 *
 * @param options.log - where the stale-lock message goes. @defaultValue console.log
 * @throws MtlError `run.locked` when a live process (or one on another host, which
 *   cannot be checked) holds it, naming its pid, host, start and command and the fix;
 *   file errors (`io.read_only`, ...) when the lock cannot be written.
 */
export function acquireRunLock(runDir: string, options: { log?: (line: string) => void; reentrant?: boolean } = {}): RunLock {
  const log = options.log ?? ((line: string) => console.log(line));
  const path = resolve(join(runDir, LOCK_FILE));
  const mine = held.get(path);
  if (mine) {
    if (!options.reentrant) {
      throw new MtlError({
        code: 'run.locked',
        path: runDir,
        expected: 'a run folder no other run writes to',
        found: `another run of this process (${process.pid}) writing to it`,
        fix: 'wait for that run to finish, or choose another run folder',
      });
    }
    mine.count++;
    return lockHandle(path);
  }
  const owner = currentOwner();
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path, owner)) {
      held.set(path, { count: 1, owner });
      installExitHook();
      return lockHandle(path);
    }
    const existing = readLock(path);
    if (existing === 'gone') continue;
    const state = existing === 'unreadable' ? unreadableState(path) : ownerState(existing);
    if (state === 'live') throw lockedError(runDir, path, existing as LockOwner);
    if (state === 'young') {
      throw new MtlError({
        code: 'run.locked',
        path: runDir,
        expected: 'a run folder no other mtl process writes to',
        found: 'a lock file being written by another process this very moment',
        fix: `try again in a moment; if it persists, remove ${path}`,
      });
    }
    if (state === 'remote') throw lockedError(runDir, path, existing as LockOwner);
    // Stale: its process is gone. Move it aside under a name of our own, check that what
    // was moved is the stale lock (not a fresh one another process just created), drop it.
    const aside = `${path}.stale-${process.pid}`;
    try {
      fs.renameSync(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw fileError(error, path, 'rename', 'the stale run lock');
    }
    const moved = readLock(aside);
    const same = moved !== 'gone' && moved !== 'unreadable' && existing !== 'unreadable' && moved.pid === existing.pid && moved.started === existing.started;
    if (!same && moved !== 'unreadable' && moved !== 'gone' && ownerState(moved) === 'live') {
      // A live lock was taken between our read and our rename: put it back, and refuse.
      try {
        fs.linkSync(aside, path);
      } catch {
        // Someone else holds the name now; either way this process does not get the lock.
      }
      fs.rmSync(aside, { force: true });
      throw lockedError(runDir, path, moved);
    }
    fs.rmSync(aside, { force: true });
    log(
      existing === 'unreadable'
        ? `run folder ${runDir}: removed an unreadable, old lock file (${LOCK_FILE}); taking the lock`
        : `run folder ${runDir}: the lock of process ${existing.pid} (started ${existing.started}) is stale, that process is gone; taking the lock over`,
    );
  }
  throw new MtlError({
    code: 'run.locked',
    path: runDir,
    expected: 'a run folder no other mtl process writes to',
    found: 'a lock that changed hands while this process tried to take it',
    fix: 'another mtl process is starting in this folder: wait for it, or choose another --run-dir',
  });
}

/** Who holds the lock of a run folder now, if anyone (a stale lock is reported too; see `isLockStale`). */
export function readRunLock(runDir: string): LockOwner | undefined {
  const read = readLock(resolve(join(runDir, LOCK_FILE)));
  return read === 'gone' || read === 'unreadable' ? undefined : read;
}

/** Whether a lock's process is gone (same host, pid not running or reused by another process). */
export function isLockStale(owner: LockOwner): boolean {
  return ownerState(owner) === 'stale';
}

function lockHandle(path: string): RunLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const entry = held.get(path);
      if (!entry) return;
      entry.count--;
      if (entry.count > 0) return;
      held.delete(path);
      removeIfOurs(path, entry.owner);
    },
  };
}

function removeIfOurs(path: string, owner: LockOwner): void {
  const current = readLock(path);
  if (current !== 'gone' && current !== 'unreadable' && current.pid === owner.pid && current.started === owner.started) {
    fs.rmSync(path, { force: true });
  }
}

/** A process that exits (an error, process.exit) leaves no lock behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, entry] of held) {
      try {
        removeIfOurs(path, entry.owner);
      } catch {
        // Exiting: a lock left behind is recognised as stale next time.
      }
    }
    held.clear();
  });
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileError(error, path, 'create', 'the run folder lock');
  }
  try {
    fs.writeSync(fd, JSON.stringify(owner) + '\n');
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
    throw fileError(error, path, 'write', 'the run folder lock');
  }
  fs.closeSync(fd);
  return true;
}

function readLock(path: string): LockOwner | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return 'unreadable';
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || typeof o.host !== 'string' || typeof o.started !== 'string') return 'unreadable';
    return { pid: o.pid, host: o.host, started: o.started, ...(typeof o.processStart === 'string' ? { processStart: o.processStart } : {}), command: String(o.command ?? '') };
  } catch {
    return 'unreadable';
  }
}

/** A lock file that cannot be parsed: being written right now (young), or left half-written by a crash (stale). */
function unreadableState(path: string): 'young' | 'stale' {
  try {
    return Date.now() - fs.statSync(path).mtimeMs < 10_000 ? 'young' : 'stale';
  } catch {
    return 'stale';
  }
}

function ownerState(owner: LockOwner): 'live' | 'stale' | 'remote' {
  if (owner.host !== hostname()) return 'remote';
  if (!processAlive(owner.pid)) return 'stale';
  if (owner.processStart !== undefined) {
    const start = processStartTime(owner.pid);
    if (start !== undefined && start !== owner.processStart) return 'stale';
  }
  return 'live';
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not collected it yet (a zombie, or one being torn
  // down) still answers signal 0, but it holds nothing: it will never release its lock.
  const state = processState(pid);
  return state !== 'Z' && state !== 'X' && state !== 'x';
}

/** The state letter of a process (field 3 of /proc/<pid>/stat: R, S, D, Z, ...), where /proc exists. */
function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), where /proc exists. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function currentOwner(): LockOwner {
  const start = processStartTime(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    ...(start !== undefined ? { processStart: start } : {}),
    command: process.argv.slice(1).join(' ').slice(0, 300),
  };
}

function lockedError(runDir: string, path: string, owner: LockOwner): MtlError {
  const remote = owner.host !== hostname();
  return new MtlError({
    code: 'run.locked',
    path: runDir,
    expected: 'a run folder no other mtl process writes to',
    found: `process ${owner.pid} on ${owner.host}${remote ? ' (another host)' : ''}, running since ${owner.started}${owner.command ? `: ${owner.command}` : ''}`,
    fix: remote
      ? `wait for it to finish, or choose another --run-dir; if that process is gone, remove ${path}`
      : `wait for it to finish (or stop it: kill ${owner.pid}), or choose another --run-dir`,
  });
}
