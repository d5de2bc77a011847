/**
 * Data loss and confinement: mtl deletes or overwrites only inside run folders it
 * created (marked with .mtl-run), never the working directory, a parent, the home
 * folder or a folder holding other runs; a model folder is untrusted input whose
 * weight paths stay inside it, regular files only, sizes checked before reading.
 * Every refused case leaves the folder and its parent byte for byte as they were.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { evaluateRun } from '../../src/experiment/evaluateRun.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { readModelArtifacts, readWeights } from '../../src/io/modelFiles.js';
import { clearRunFolder, ensureRunFolder, isMarkedRunFolder, markRunFolder, removeInsideRunFolder, RUN_MARKER } from '../../src/io/runMarker.js';
import { hashTree, isMtlError, scratch, tinyCsvExperiment } from './helpers.js';

const quiet = { progress: false, log: () => {} };
let work: { dir: string; cleanup: () => void };
let trained: string;
let config: ReturnType<typeof validateExperiment>;

before(async () => {
  work = scratch('mtl-confine-');
  config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 1 } }));
  trained = join(work.dir, 'runs', 'trained');
  await runExperiment(config, { runDir: trained, ...quiet });
});
after(() => work.cleanup());

test('a run folder carries the marker; mtl refuses the working directory, its parents, home and root as run folders', async () => {
  assert.ok(isMarkedRunFolder(trained));
  assert.ok(existsSync(join(trained, RUN_MARKER)));
  const cwd = process.cwd();
  for (const dir of [cwd, '.', dirname(cwd), '..', '/', homedir()]) {
    for (const mode of [{}, { resume: true }, { force: true }]) {
      await assert.rejects(runExperiment(config, { runDir: dir, ...quiet, ...mode }), isMtlError('run.unsafe_folder'), `${dir} ${JSON.stringify(mode)}`);
    }
  }
});

test('--force on a folder mtl did not create, or on one holding other runs, is refused and deletes nothing', async () => {
  const root = join(work.dir, 'force');
  // A user's folder with their own files (and even a config.json).
  const mine = join(root, 'my-data');
  mkdirSync(mine, { recursive: true });
  writeFileSync(join(mine, 'notes.txt'), 'precious\n');
  writeFileSync(join(mine, 'config.json'), '{}\n');
  // A folder of runs, marked by mistake: it holds other run folders.
  const runs = join(root, 'runs');
  mkdirSync(join(runs, 'a'), { recursive: true });
  ensureRunFolder(join(runs, 'a'));
  writeFileSync(join(runs, 'a', 'summary.json'), '{}\n');
  markRunFolder(runs);
  const before = hashTree(root);
  await assert.rejects(runExperiment(config, { runDir: mine, force: true, ...quiet }), isMtlError('run.not_a_run_folder', { fix: /choose another --run-dir/ }));
  await assert.rejects(runExperiment(config, { runDir: mine, ...quiet }), isMtlError('run.not_a_run_folder'));
  assert.throws(() => clearRunFolder(runs), isMtlError('run.holds_other_runs', { found: /\ba\b/ }));
  await assert.rejects(runExperiment(config, { runDir: runs, force: true, ...quiet }), isMtlError('run.holds_other_runs'));
  assert.equal(hashTree(root), before, 'nothing under the root changed');
});

test('--force replaces a marked run folder and only it (its siblings and parent untouched)', async () => {
  const root = join(work.dir, 'replace');
  const run = join(root, 'run');
  const sibling = join(root, 'other');
  mkdirSync(sibling, { recursive: true });
  writeFileSync(join(sibling, 'keep.txt'), 'keep\n');
  writeFileSync(join(root, 'README'), 'a file next to the runs\n');
  await runExperiment(config, { runDir: run, ...quiet });
  writeFileSync(join(run, 'stray.txt'), 'left by someone\n');
  const siblingHash = hashTree(sibling);
  await runExperiment(config, { runDir: run, force: true, ...quiet });
  assert.ok(!existsSync(join(run, 'stray.txt')), 'the run folder was emptied first');
  assert.ok(isMarkedRunFolder(run));
  assert.equal(hashTree(sibling), siblingHash);
  assert.equal(readFileSync(join(root, 'README'), 'utf8'), 'a file next to the runs\n');
  await assert.rejects(runExperiment(config, { runDir: run, force: true, resume: true, ...quiet }), isMtlError('run.bad_options'));
});

test('deletions go through one guard: only strictly inside a marked run folder', () => {
  const { dir, cleanup } = scratch();
  try {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'x'), 'x');
    assert.throws(() => removeInsideRunFolder(plain, join(plain, 'x')), isMtlError('run.not_a_run_folder'));
    const run = join(dir, 'run');
    ensureRunFolder(run);
    writeFileSync(join(run, 'file'), 'f');
    for (const target of [run, dir, join(run, '..'), join(run, '..', 'plain', 'x'), '/tmp']) {
      assert.throws(() => removeInsideRunFolder(run, target), isMtlError('run.outside_run_folder'), target);
    }
    const before = hashTree(dir);
    removeInsideRunFolder(run, join(run, 'missing'));
    assert.equal(hashTree(dir), before);
    // A symlink inside is removed as a link; what it points to stays.
    symlinkSync(plain, join(run, 'link'));
    removeInsideRunFolder(run, join(run, 'link'));
    assert.ok(existsSync(join(plain, 'x')));
    // A new run into a non-empty folder that is not ours is refused.
    assert.throws(() => ensureRunFolder(plain), isMtlError('run.not_a_run_folder'));
    // A file where the run folder should be.
    assert.throws(() => ensureRunFolder(join(plain, 'x')), isMtlError('io.not_directory'));
  } finally {
    cleanup();
  }
});

test('a run folder of an older version of tfjs-multitask (config.json and a checkpoint, no marker) is adopted on --resume, with a message', async () => {
  const { dir, cleanup } = scratch();
  try {
    const legacy = join(dir, 'legacy');
    execFileSync('cp', ['-r', trained, legacy]);
    execFileSync('rm', [join(legacy, RUN_MARKER)]);
    await assert.rejects(runExperiment(config, { runDir: legacy, force: true, ...quiet }), isMtlError('run.not_a_run_folder', { fix: /older version of tfjs-multitask/ }));
    const lines: string[] = [];
    await runExperiment(config, { runDir: legacy, resume: true, progress: false, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /older version of tfjs-multitask/.test(l)), lines.join('\n'));
    assert.ok(isMarkedRunFolder(legacy));
  } finally {
    cleanup();
  }
});

/** A copy of the trained run's model folder with model.json's weight paths replaced. */
function tamperedModel(dir: string, name: string, paths: string[], setup?: (model: string) => void): string {
  const model = join(dir, name);
  execFileSync('cp', ['-r', join(trained, 'model'), model]);
  const json = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = paths;
  writeFileSync(join(model, 'model.json'), JSON.stringify(json));
  setup?.(model);
  return model;
}

test('model.json weight paths are confined to the model folder: a corpus of escapes, special files and lies about sizes', () => {
  const { dir, cleanup } = scratch();
  try {
    const outside = join(dir, 'outside.bin');
    writeFileSync(outside, readFileSync(join(trained, 'model', 'weights.bin')));
    const cases: Array<[string, string[], string, ((m: string) => void)?]> = [
      ['parent', ['../../etc/passwd'], 'io.path_outside_model'],
      ['absolute', ['/etc/passwd'], 'io.path_outside_model'],
      ['device', ['/dev/zero'], 'io.path_outside_model'],
      ['dotted', ['./weights.bin'], 'io.path_outside_model'],
      ['sneaky', ['sub/../../outside.bin'], 'io.path_outside_model'],
      ['backslash', ['..\\outside.bin'], 'io.path_outside_model'],
      ['empty', [''], 'io.path_outside_model'],
      ['symlink', ['link.bin'], 'io.path_outside_model', (m) => symlinkSync(outside, join(m, 'link.bin'))],
      ['symlinkDir', ['sub/outside.bin'], 'io.path_outside_model', (m) => symlinkSync(dir, join(m, 'sub'))],
      ['fifo', ['pipe.bin'], 'io.not_regular_file', (m) => execFileSync('mkfifo', [join(m, 'pipe.bin')])],
      ['folder', ['folder.bin'], 'io.not_regular_file', (m) => mkdirSync(join(m, 'folder.bin'))],
      ['missing', ['nope.bin'], 'io.file_missing'],
      ['twice', ['weights.bin', 'weights.bin'], 'io.size_mismatch'],
    ];
    for (const [name, paths, code, setup] of cases) {
      const model = tamperedModel(dir, name, paths, setup);
      assert.throws(() => readWeights(model), isMtlError(code), name);
    }
    // The manifest declares more than the file holds (a shape of 1e9 floats): refused before reading or allocating.
    const huge = tamperedModel(dir, 'huge', ['weights.bin'], (m) => {
      const json = JSON.parse(readFileSync(join(m, 'model.json'), 'utf8'));
      json.weightsManifest[0].weights[0].shape = [1e9];
      delete json.weightsChecksum;
      writeFileSync(join(m, 'model.json'), JSON.stringify(json));
    });
    assert.throws(() => readModelArtifacts(huge), isMtlError('io.size_mismatch', { expected: /bytes, the \d+ weight tensors/ }));
  } finally {
    cleanup();
  }
});

test('mtl eval of a run whose model.json points outside is refused (no NaN loss, no old summary printed)', async () => {
  const { dir, cleanup } = scratch();
  try {
    const run = join(dir, 'run');
    execFileSync('cp', ['-r', trained, run]);
    const json = JSON.parse(readFileSync(join(run, 'model', 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../../../../../../../../etc/passwd'];
    writeFileSync(join(run, 'model', 'model.json'), JSON.stringify(json));
    const before = hashTree(dir);
    const lines: string[] = [];
    await assert.rejects(evaluateRun(run, (l) => lines.push(l)), isMtlError('io.path_outside_model'));
    assert.deepEqual(lines, [], 'nothing printed');
    assert.equal(hashTree(dir), before);
    assert.equal(resolve(run), resolve(dir, 'run'));
  } finally {
    cleanup();
  }
});
