/**
 * Crashes on write failures: a read-only run folder, a missing permission or a full
 * disk is a coded error naming the file (never a raw EROFS / ENOSPC trace), found
 * before training starts where it can be (a probe file), and a disk that fills up in
 * the middle of a run leaves the last checkpoint intact and resumable. The file system
 * is made to fail through node:test's mocks of `fs` (root ignores permissions, and a
 * real full disk cannot be had in a test).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, mock, test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { readSummary, runExperiment } from '../../src/experiment/runExperiment.js';
import { fileError } from '../../src/io/fileErrors.js';
import { checkWritable, writeFileAtomic } from '../../src/io/writeFile.js';
import { readCheckpoint } from '../../src/training/checkpoint.js';
import { hashTree, isMtlError, scratch, tinyCsvExperiment } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let config: ReturnType<typeof validateExperiment>;
const quiet = { progress: false, log: () => {} };

before(() => {
  work = scratch('mtl-write-');
  config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 3, checkpointEverySteps: 2 } }));
});
after(() => {
  mock.restoreAll();
  work.cleanup();
});

const systemError = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

/** Make every write-like fs call under `dir` fail with `code` while `fn` runs (optionally only after `after` successes). */
async function failingWrites<T>(dir: string, code: string, fn: () => Promise<T>, options: { after?: number; only?: RegExp } = {}): Promise<T> {
  const root = resolve(dir);
  let allowed = options.after ?? 0;
  const hit = (path: unknown) => {
    const p = resolve(String(path));
    if (!p.startsWith(root) || (options.only && !options.only.test(p))) return false;
    if (allowed > 0) {
      allowed--;
      return false;
    }
    return true;
  };
  const wrap = <K extends 'writeFileSync' | 'appendFileSync' | 'mkdirSync' | 'openSync' | 'renameSync'>(name: K, isWrite: (args: unknown[]) => boolean = () => true) => {
    const original = fs[name] as (...args: unknown[]) => unknown;
    return mock.method(fs, name, (...args: unknown[]) => {
      if (isWrite(args) && hit(args[0])) throw systemError(code);
      return original.apply(fs, args);
    });
  };
  const mocks = [
    wrap('writeFileSync'),
    wrap('appendFileSync'),
    wrap('mkdirSync'),
    wrap('renameSync'),
    wrap('openSync', (args) => typeof args[1] === 'string' && /[wa]/.test(args[1])),
  ];
  try {
    return await fn();
  } finally {
    for (const m of mocks) m.mock.restore();
  }
}

test('fileError: every system refusal becomes a coded error naming the file', () => {
  const corpus: Array<[string, string]> = [
    ['ENOENT', 'io.file_missing'],
    ['EISDIR', 'io.is_directory'],
    ['ENOTDIR', 'io.not_directory'],
    ['EACCES', 'io.permission_denied'],
    ['EPERM', 'io.permission_denied'],
    ['EROFS', 'io.read_only'],
    ['ENOSPC', 'io.disk_full'],
    ['EDQUOT', 'io.disk_full'],
    ['EMFILE', 'io.file_failed'],
  ];
  for (const [errno, code] of corpus) {
    const e = fileError(systemError(errno), '/some/run/metrics.jsonl', 'write', 'the run\'s metrics.jsonl');
    isMtlError(code, { path: /^\/some\/run\/metrics\.jsonl$/ })(e);
  }
  assert.match(fileError(systemError('ENOSPC'), 'x', 'write').fix!, /--resume: the last checkpoint is kept intact/);
});

test('a read-only run folder is found before training: a new run and a resume are refused, nothing trained, nothing changed', async () => {
  const run = join(work.dir, 'readonly');
  await runExperiment({ ...config, training: { ...config.training, epochs: 1 } }, { runDir: run, ...quiet });
  const before = hashTree(run);
  for (const mode of [{ resume: true, epochs: 3 }, { force: true }]) {
    const lines: string[] = [];
    await assert.rejects(
      failingWrites(run, 'EROFS', () => runExperiment(config, { runDir: run, progress: false, log: (l) => lines.push(l), ...mode })),
      isMtlError('io.read_only', { path: /readonly/, fix: /writable file system/ }),
      JSON.stringify(mode),
    );
    assert.ok(!lines.some((l) => /^epoch /.test(l)), 'refused before the first epoch');
    assert.equal(hashTree(run), before);
  }
  // A new run whose parent cannot take a new folder.
  const parent = join(work.dir, 'ro-parent');
  fs.mkdirSync(parent);
  await assert.rejects(failingWrites(parent, 'EACCES', () => runExperiment(config, { runDir: join(parent, 'run'), ...quiet })), isMtlError('io.permission_denied', { path: /ro-parent\/run$/ }));
  assert.deepEqual(fs.readdirSync(parent), []);
});

test('checkWritable probes with a file it removes; writeFileAtomic leaves the old file when the write fails', async () => {
  const { dir, cleanup } = scratch();
  try {
    checkWritable(dir);
    assert.deepEqual(fs.readdirSync(dir), [], 'the probe is removed');
    await assert.rejects(failingWrites(dir, 'ENOSPC', async () => checkWritable(dir)), isMtlError('io.disk_full'));
    const file = join(dir, 'summary.json');
    fs.writeFileSync(file, '{"old": true}\n');
    await assert.rejects(failingWrites(dir, 'ENOSPC', async () => writeFileAtomic(file, '{"new": true}\n')), isMtlError('io.disk_full', { path: /summary\.json$/ }));
    assert.equal(fs.readFileSync(file, 'utf8'), '{"old": true}\n');
    assert.deepEqual(fs.readdirSync(dir), ['summary.json'], 'no temporary file left');
  } finally {
    cleanup();
  }
});

test('a disk that fills up while a checkpoint is written: a coded error, the previous checkpoint intact, and --resume ends exactly where an undisturbed run does', async () => {
  const run = join(work.dir, 'full');
  // The first checkpoint (step 2) goes through; the disk fills up while the second one is written.
  const lines: string[] = [];
  await assert.rejects(
    failingWrites(run, 'ENOSPC', () => runExperiment(config, { runDir: run, progress: false, log: (l) => lines.push(l) }), { after: 10, only: /checkpoint\.tmp/ }),
    isMtlError('io.disk_full', { path: /checkpoint\.tmp/, fix: /--resume/ }),
  );
  const position = readCheckpoint(join(run, 'checkpoint'));
  position.weights.forEach((w) => w.dispose());
  assert.equal(position.position.step, 2, 'the first checkpoint, every file verified');
  assert.ok(!fs.existsSync(join(run, 'checkpoint.tmp')), 'the half-written checkpoint was removed');
  assert.ok(!fs.existsSync(join(run, '.mtl-lock')), 'the lock was released');
  const resumed = await runExperiment(config, { runDir: run, resume: true, ...quiet });
  const clean = await runExperiment(config, { runDir: join(work.dir, 'clean'), ...quiet });
  assert.deepEqual(resumed.multiTask!.evaluation, clean.multiTask!.evaluation, 'bit-identical to a run that never failed');
  assert.deepEqual(readSummary(run)!.multiTask!.steps, clean.multiTask!.steps);
});

test('a disk that fills up when the metrics log is appended: a coded error naming metrics.jsonl', async () => {
  const run = join(work.dir, 'metrics-full');
  await assert.rejects(
    failingWrites(run, 'ENOSPC', () => runExperiment(config, { runDir: run, ...quiet }), { only: /metrics\.jsonl$/, after: 1 }),
    isMtlError('io.disk_full', { path: /metrics\.jsonl$/ }),
  );
});
