import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MTL_BACKEND: 'cpu' },
  });

function experiment(dir: string, extra = ''): string {
  const path = join(dir, 'exp.yaml');
  writeFileSync(
    path,
    `name: tiny
seed: 1
data: { source: csv, path: examples/data/patients.csv, features: [age, bmi, glucose, smoker], standardize: true, testFraction: 0.25 }
tasks:
  - { name: readmitted, kind: binary, columns: [readmitted] }
  - { name: stay, kind: regression, columns: [length_of_stay] }
model: { encoder: { type: mlp, hidden: [8] } }
training: { epochs: 2, batchSize: 64, optimizer: { type: adam, learningRate: 0.01 } }
${extra}`,
  );
  return path;
}

test('mtl train → run folder with model, checkpoint, metrics and a summary with Δm; mtl eval reads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-cli-'));
  try {
    const run = join(dir, 'run');
    const r = cli(['train', experiment(dir), '--baselines', '--run-dir', run, '--no-progress']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^backend: /m);
    assert.match(r.stdout, /Δm = [+-]\d+\.\d\d%/);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'summary.md', 'model/model.json', 'model/weights.bin', 'checkpoint/state.json', 'baselines/stay/model/model.json']) {
      assert.ok(existsSync(join(run, f)), `${f} exists`);
    }
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    assert.equal(typeof summary.deltaM, 'number');
    assert.deepEqual(Object.keys(summary.singleTask), ['readmitted', 'stay']);
    const e = cli(['eval', run]);
    assert.equal(e.status, 0, e.stderr);
    const auc = summary.multiTask.evaluation.readmitted.metrics.auc as number;
    assert.match(e.stdout, new RegExp(`readmitted: loss \\S+  auc ${auc.toFixed(4)}`));
    // The multi-task model against the two single-task models it replaces.
    const bench = cli(['bench', 'inference', run, '--batch', '4']);
    assert.equal(bench.status, 0, bench.stderr);
    const params = /\| parameters \| (\d+) \| (\d+) \| ([\d.]+)× \|/.exec(bench.stdout);
    assert.ok(params, bench.stdout);
    assert.equal(Number(params[1]), summary.multiTask.parameters);
    assert.equal(Number(params[2]), summary.singleTask.readmitted.parameters + summary.singleTask.stay.parameters);
    assert.match(bench.stdout, /\| latency, every task, batch 4 \| [\d.]+ ms \| [\d.]+ ms \|/);
    // Training again into the same folder without --resume or --force is refused and leaves the checkpoint alone.
    const before = statSync(join(run, 'checkpoint', 'state.json')).mtimeMs;
    const again = cli(['train', experiment(dir), '--run-dir', run, '--no-progress']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /error \[run\.exists\]/);
    assert.match(again.stderr, /fix: +pass --resume/);
    assert.equal(statSync(join(run, 'checkpoint', 'state.json')).mtimeMs, before);
    // --resume of a finished run trains nothing more and succeeds.
    const resumed = cli(['train', experiment(dir), '--run-dir', run, '--resume', '--no-progress']);
    assert.equal(resumed.status, 0, resumed.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mtl train --epochs N records N in the run\'s config.json, and training from that file reproduces the run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-cli-'));
  try {
    const run = join(dir, 'run');
    const r = cli(['train', experiment(dir), '--epochs', '1', '--run-dir', run, '--no-progress']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const saved = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    assert.equal(saved.training.epochs, 1, 'the override, not the experiment file\'s 2 epochs');
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    assert.equal(summary.multiTask.epochs, 1);
    // Resuming with the same override is the same experiment.
    const resumed = cli(['train', experiment(dir), '--epochs', '1', '--run-dir', run, '--resume', '--no-progress']);
    assert.equal(resumed.status, 0, resumed.stderr);
    // The saved config alone reproduces the run, number for number.
    const again = join(dir, 'again');
    const replay = cli(['train', join(run, 'config.json'), '--run-dir', again, '--no-progress']);
    assert.equal(replay.status, 0, replay.stderr + replay.stdout);
    const replayed = JSON.parse(readFileSync(join(again, 'summary.json'), 'utf8'));
    assert.equal(replayed.multiTask.epochs, 1);
    assert.deepEqual(replayed.multiTask.evaluation, summary.multiTask.evaluation);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mtl reports a bad experiment in one block and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-cli-'));
  try {
    const r = cli(['train', experiment(dir, 'weighting: { method: equal, optons: {} }\n'), '--run-dir', join(dir, 'run')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error \[config\.unknown_key\] .*weighting\.optons/);
    assert.match(r.stderr, /expected: one of the keys \[method, options, gradientMode\]/);
    assert.match(r.stderr, /fix: +did you mean "options"\?/);
    assert.equal(existsSync(join(dir, 'run')), false, 'no run folder for an invalid experiment');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
