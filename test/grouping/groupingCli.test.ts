import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 600_000 });

/** The planted benchmark at 4 tasks and a few epochs: quick, not meant to find the clusters. */
function experiment(dir: string): string {
  const path = join(dir, 'planted.yaml');
  writeFileSync(
    path,
    `name: planted-small
seed: 0
data: { source: synthetic-clusters, clusters: [2, 2], trainSize: 200, validationFraction: 0.5, testSize: 200 }
tasks:
  - { name: a1, kind: regression }
  - { name: a2, kind: regression }
  - { name: b1, kind: regression }
  - { name: b2, kind: regression }
model: { encoder: { type: mlp, hidden: [1], activation: linear } }
training: { epochs: 3, batchSize: 16, optimizer: { type: sgd, learningRate: 0.05 } }
grouping: { budget: 2, halfCost: false, affinityEvery: 5 }
`,
  );
  return path;
}

test('mtl affinity prints the matrices and writes affinity.json; mtl transfer reads the run; mtl group --method tag trains the chosen networks on the pool', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-group-cli-'));
  try {
    const exp = experiment(dir);
    const affinity = cli(['affinity', exp, '--run-dir', join(dir, 'aff'), '--no-progress']);
    assert.equal(affinity.status, 0, affinity.stderr + affinity.stdout);
    assert.match(affinity.stdout, /Lookahead affinity Z\(i→j\)/);
    assert.match(affinity.stdout, /Gradient cosines/);
    assert.ok(existsSync(join(dir, 'aff', 'affinity.json')) && existsSync(join(dir, 'aff', 'affinity.jsonl')));
    const again = cli(['affinity', exp, '--run-dir', join(dir, 'aff'), '--no-progress']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /run\.exists/);
    const transfer = cli(['transfer', join(dir, 'aff')]);
    assert.equal(transfer.status, 0, transfer.stderr);
    assert.match(transfer.stdout, /suggested grouping/);
    const group = cli(['group', exp, '--method', 'tag', '--group-dir', join(dir, 'group'), '--jobs', '2', '--threads', '1']);
    assert.equal(group.status, 0, group.stderr + group.stdout);
    assert.match(group.stdout, /method tag, budget 2, inference cost 2/);
    assert.match(group.stdout, /search: 1 training run/);
    assert.ok(existsSync(join(dir, 'group', 'grouping.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mtl group: a bad method is a usage error; a budget below the cheapest cover and an unreachable queue fail before anything trains', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-group-cli-'));
  try {
    const exp = experiment(dir);
    const method = cli(['group', exp, '--method', 'best']);
    assert.equal(method.status, 2, method.stderr);
    assert.match(method.stderr, /--method/);
    const budget = cli(['group', exp, '--budget', '0.5', '--group-dir', join(dir, 'g1')]);
    assert.equal(budget.status, 1, budget.stderr);
    assert.match(budget.stderr, /grouping\.budget_too_small/);
    assert.equal(existsSync(join(dir, 'g1')), false);
    const queue = cli(['group', exp, '--method', 'exact', '--queue', 'redis://127.0.0.1:1', '--group-dir', join(dir, 'g2')]);
    assert.equal(queue.status, 1, queue.stderr);
    assert.match(queue.stderr, /redis|queue/i);
    assert.equal(existsSync(join(dir, 'g2', 'candidates')), false);
    const jobsAndQueue = cli(['group', exp, '--jobs', '2', '--queue', 'redis://127.0.0.1:1']);
    assert.equal(jobsAndQueue.status, 2, jobsAndQueue.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
