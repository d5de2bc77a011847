/**
 * Never a stack trace: what `mtl` prints for bad input, damaged files and failed runs
 * is one coded block (error [code] path / expected / found / fix) and exit status 1,
 * whatever the failure. The commands run concurrently to keep the file fast.
 * (`bench inference --batch 1e9`, `--run-dir .` and the other refusals are checked
 * in-process, as MtlErrors, by the test file of their class.)
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { validateExperiment } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { scratch, tinyCsvExperiment } from './helpers.js';

let work: { dir: string; cleanup: () => void };
let experimentFile: string;
let trained: string;

before(async () => {
  work = scratch('mtl-cli-rel-');
  const experiment = tinyCsvExperiment(work.dir, { training: { epochs: 1 } });
  experimentFile = join(work.dir, 'exp.json');
  writeFileSync(experimentFile, JSON.stringify(experiment));
  trained = join(work.dir, 'trained');
  await runExperiment(validateExperiment(experiment), { runDir: trained, progress: false, log: () => {} });
});
after(() => work.cleanup());

function mtl(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, ...(args[0] === 'train' ? ['--no-progress'] : [])], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, MTL_BACKEND: 'cpu' } }, (error, stdout, stderr) => {
      resolve({ status: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

test('bad input, damaged files and failed runs: one coded block, exit 1, no stack trace', async () => {
  const folder = join(work.dir, 'experiments');
  mkdirSync(folder);
  const damaged = join(work.dir, 'damaged');
  execFileSync('cp', ['-r', trained, damaged]);
  truncateSync(join(damaged, 'model', 'weights.bin'), 10);
  const diverging = join(work.dir, 'diverging.json');
  const hot = JSON.parse(readFileSync(experimentFile, 'utf8'));
  hot.name = 'hot';
  hot.training.optimizer = { type: 'sgd', learningRate: 1e6 };
  hot.training.epochs = 3;
  writeFileSync(diverging, JSON.stringify(hot));
  // Three spawns, one per layer (the experiment file, a run's files, a failed training);
  // the other cases of each class are MtlErrors checked in-process by its own test file.
  const cases: Array<[string[], string, RegExp?]> = [
    [['train', folder], 'config.is_directory', /found: +a folder/],
    [['eval', damaged], 'io.size_mismatch', /weights\.bin/],
    [['train', diverging, '--run-dir', join(work.dir, 'hot')], 'training.diverged', /fix: +no checkpoint was written/],
  ];
  const results = await Promise.all(cases.map(([args]) => mtl(args)));
  cases.forEach(([args, code, more], i) => {
    const r = results[i]!;
    const what = `mtl ${args.join(' ')}\n${r.stderr}`;
    assert.equal(r.status, 1, what);
    assert.match(r.stderr, new RegExp(`^error \\[${code.replace('.', '\\.')}\\] `, 'm'), what);
    assert.match(r.stderr, /^ {2}expected: .+\n {2}found: {4}.+/m, what);
    assert.doesNotMatch(r.stderr, /^\s+at /m, `no stack trace: ${what}`);
    if (more) assert.match(r.stderr, more, what);
  });
});
