/**
 * One writer per run folder: a second writer (another process, or another run of this
 * process) is refused with a coded error naming the holder's pid and the fix; a lock
 * left by a process that is gone (or whose pid now belongs to another process) is
 * recognised as stale and taken over with a message.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { acquireRunLock, LOCK_FILE, readRunLock } from '../../src/io/runLock.js';
import { ensureRunFolder } from '../../src/io/runMarker.js';
import { hashTree, isMtlError, scratch, tinyCsvExperiment } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let sleeper: ReturnType<typeof spawn>;

before(() => {
  work = scratch('mtl-lock-');
  sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });
});
after(() => {
  sleeper.kill('SIGKILL');
  work.cleanup();
});

/** A run folder with a lock file written as another process would have. */
function lockedFolder(name: string, owner: Record<string, unknown>): string {
  const dir = join(work.dir, name);
  ensureRunFolder(dir);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ started: '2024-01-01T00:00:00.000Z', command: 'mtl train other.yaml', host: hostname(), ...owner }) + '\n');
  return dir;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

test('a live lock of another process is refused, naming its pid, command and the fix; the folder is untouched', () => {
  const dir = lockedFolder('live', { pid: sleeper.pid });
  const before = hashTree(dir);
  assert.throws(() => acquireRunLock(dir, { log: () => {} }), isMtlError('run.locked', { found: new RegExp(`process ${sleeper.pid} on ${hostname()}.*mtl train other\\.yaml`), fix: new RegExp(`kill ${sleeper.pid}`) }));
  assert.equal(hashTree(dir), before);
});

test('a lock on another host cannot be checked: refused, saying so', () => {
  const dir = lockedFolder('remote', { pid: 1, host: 'elsewhere.example' });
  assert.throws(() => acquireRunLock(dir, { log: () => {} }), isMtlError('run.locked', { found: /another host/, fix: /if that process is gone, remove/ }));
});

test('a stale lock (dead pid, or a pid reused by another process) is taken over with a message', () => {
  for (const [name, owner] of [
    ['dead', { pid: deadPid() }],
    ['reused', { pid: sleeper.pid, processStart: '1' }],
  ] as const) {
    const dir = lockedFolder(name, owner);
    const lines: string[] = [];
    const lock = acquireRunLock(dir, { log: (l) => lines.push(l) });
    assert.match(lines.join('\n'), new RegExp(`the lock of process ${owner.pid} .* is stale`), name);
    assert.equal(readRunLock(dir)!.pid, process.pid, 'the lock is ours now');
    lock.release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released: removed');
  }
});

test('the lock of a killed process that is not yet collected (a zombie) is stale: it can never be released', { skip: process.platform !== 'linux' && 'zombie states are read from /proc (Linux)' }, async () => {
  // sh starts a child that exits shortly after sh has become \`sleep\`, which never collects it
  // (exiting at once could let sh collect it before the exec).
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = await new Promise<number>((done) => parent.stdout!.once('data', (b: Buffer) => done(Number(b.toString().trim()))));
    let state = '';
    for (let i = 0; i < 100 && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
    }
    assert.equal(state, 'Z', 'the child is a zombie');
    assert.doesNotThrow(() => process.kill(zombie, 0), 'a zombie still answers signal 0');
    const dir = lockedFolder('zombie', { pid: zombie });
    const lines: string[] = [];
    const lock = acquireRunLock(dir, { log: (l) => lines.push(l) });
    assert.match(lines.join('\n'), new RegExp(`the lock of process ${zombie} .* is stale`));
    assert.equal(readRunLock(dir)!.pid, process.pid, 'the lock is ours now');
    lock.release();
  } finally {
    parent.kill('SIGKILL');
  }
});

test('an unreadable lock file: refused while fresh (being written), taken over when old', () => {
  const dir = join(work.dir, 'garbled');
  ensureRunFolder(dir);
  writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
  assert.throws(() => acquireRunLock(dir, { log: () => {} }), isMtlError('run.locked', { found: /being written/ }));
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(dir, LOCK_FILE), old, old);
  const lines: string[] = [];
  acquireRunLock(dir, { log: (l) => lines.push(l) }).release();
  assert.match(lines.join('\n'), /unreadable, old lock file/);
});

test('within a process: re-entrant only when asked (a run\'s trainer), a second run is refused; the lock file holds pid, host and start', () => {
  const dir = join(work.dir, 'reentrant');
  ensureRunFolder(dir);
  const first = acquireRunLock(dir, { log: () => {} });
  const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
  assert.equal(owner.pid, process.pid);
  assert.equal(owner.host, hostname());
  assert.ok(!Number.isNaN(Date.parse(owner.started)));
  assert.throws(() => acquireRunLock(dir, { log: () => {} }), isMtlError('run.locked', { found: /another run of this process/ }));
  const inner = acquireRunLock(dir, { log: () => {}, reentrant: true });
  inner.release();
  assert.ok(existsSync(join(dir, LOCK_FILE)), 'still held by the outer holder');
  first.release();
  first.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
});

test('two trainings into one run folder: the second is refused while the first runs, and the first finishes intact', async () => {
  const config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 2 } }));
  const dir = join(work.dir, 'two');
  const quiet = { progress: false, log: () => {} };
  const first = runExperiment(config, { runDir: dir, ...quiet });
  const second = runExperiment(config, { runDir: dir, resume: false, ...quiet });
  const [a, b] = await Promise.allSettled([first, second]);
  assert.equal(a.status, 'fulfilled', a.status === 'rejected' ? String(a.reason) : '');
  assert.equal(b.status, 'rejected');
  isMtlError('run.locked')((b as PromiseRejectedResult).reason);
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => JSON.parse(l).type === 'epoch');
  assert.equal(lines.length, 2, 'one writer: exactly the 2 epoch records of a 2-epoch run');
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released at the end');
});

test('another process holding the lock: mtl train is refused with its pid; once it is killed, the stale lock is taken over', async () => {
  const dir = join(work.dir, 'process');
  ensureRunFolder(dir);
  const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/io/runLock.ts').then((m) => { m.acquireRunLock(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000); })`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolveLocked, reject) => {
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolveLocked());
      holder.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
    const config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 1 } }));
    const before = hashTree(dir);
    await assert.rejects(runExperiment(config, { runDir: dir, progress: false, log: () => {} }), isMtlError('run.locked', { found: new RegExp(`process ${holder.pid}`) }));
    assert.equal(hashTree(dir), before, 'the refused run changed nothing');
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const lines: string[] = [];
    await runExperiment(config, { runDir: dir, progress: false, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => new RegExp(`lock of process ${holder.pid} .* is stale`).test(l)), lines.join('\n'));
  } finally {
    holder.kill('SIGKILL');
  }
});
