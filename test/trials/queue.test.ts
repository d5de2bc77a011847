import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SweepFile } from '../../src/sweep/runSweep.js';
import { QUEUE_NAME } from '../../src/trials/queueProtocol.js';
import { checkRedis, parseRedisUrl } from '../../src/trials/redisConnection.js';
import { TSX, alive, startMtl, startedTrials, sweepExperiment, tableFigures, trialInTraining, waitFor, type Running } from './sweepHelpers.js';

const cli = (args: string[], cwd = process.cwd(), timeout = 300_000) =>
  spawnSync(process.execPath, ['--import', TSX, join(process.cwd(), 'src/cli/main.ts'), ...args], { encoding: 'utf8', timeout, cwd });

const hasRedis = !spawnSync('redis-server', ['--version']).error;
const skip = hasRedis || process.env.CI === 'true' ? false : 'redis-server is not installed (apt-get install redis-server); under CI=true this test runs and fails instead';

/** A TCP port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let redis: ChildProcess | undefined;
let ready = false;
let url = '';
let root = '';
const running: Running[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mtl-queue-'));
  if (skip) return;
  assert.ok(hasRedis, 'CI=true: redis-server must be installed (.ci/run installs it with apt-get)');
  const port = await freePort();
  const dir = join(root, 'redis');
  mkdirSync(dir);
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  url = `redis://127.0.0.1:${port}`;
  await waitFor('redis-server to answer', () => {
    void checkRedis(parseRedisUrl(url, 'test'), 'test', 1000).then(
      () => (ready = true),
      () => {},
    );
    return ready;
  }, 30_000);
});

after(async () => {
  await stopAll();
  redis?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** Completed and failed jobs in Redis. */
async function jobCounts(): Promise<Record<string, number>> {
  const { Queue } = await import('bullmq');
  const target = parseRedisUrl(url, 'test');
  const queue = new Queue(QUEUE_NAME, { connection: { host: target.host, port: target.port } });
  try {
    return await queue.getJobCounts('completed', 'failed', 'active', 'wait');
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

const GRID = ['--set', 'weighting.method=equal,pcgrad', '--seeds', '0,1'];

/** Stop what a test started (also when it fails), so that the next test has the queue to itself. */
async function stopAll(): Promise<void> {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await r.exited;
  }
}

test('two mtl workers on a real Redis: one killed in a trial, the other takes it over from its checkpoint; a killed coordinator restarts; every trial done once; the local pool\'s table', { skip, timeout: 900_000 }, async (t) => {
  t.after(stopAll);
  const dir = join(root, 'distributed');
  mkdirSync(dir);
  const experiment = sweepExperiment(dir);
  const reference = join(dir, 'local');
  const local = cli(['sweep', experiment, ...GRID, '--jobs', '2', '--threads', '1', '--sweep-dir', reference]);
  assert.equal(local.status, 0, local.stderr + local.stdout);

  const workerArgs = ['worker', url, '--jobs', '1', '--threads', '1', '--lock-seconds', '2'];
  const workers = [startMtl(workerArgs), startMtl(workerArgs)];
  running.push(...workers);
  const swept = join(dir, 'queued');
  let coordinator = startMtl(['sweep', experiment, ...GRID, '--queue', url, '--sweep-dir', swept]);
  running.push(coordinator);

  // A trial with a checkpoint and no result: its worker's machine "dies" (the trial process frozen
  // first so that it cannot finish in the moment the kill takes, then the worker and it killed).
  const training = await waitFor('a trial in training on a worker', () => trialInTraining(swept, startedTrials(workers.map((w) => w.out()).join('\n'))));
  const victim = workers.find((w) => startedTrials(w.out()).get(training.id) === training.pid)!;
  const survivor = workers.find((w) => w !== victim)!;
  process.kill(training.pid, 'SIGSTOP');
  victim.child.kill('SIGKILL');
  process.kill(training.pid, 'SIGKILL');
  await victim.exited;
  await waitFor('the trial process to be gone', () => !alive(training.pid), 30_000);

  // Kill the coordinator too once one more result is in, then start it again.
  const results = () => (coordinator.out().match(/^\[\s*\d+\/8\]/gm) ?? []).length;
  const before = results();
  await waitFor('another trial to finish', () => results() > before || coordinator.child.exitCode !== null);
  if (coordinator.child.exitCode === null) {
    coordinator.child.kill('SIGKILL');
    await coordinator.exited;
    coordinator = startMtl(['sweep', experiment, ...GRID, '--queue', url, '--sweep-dir', swept]);
    running.push(coordinator);
  }
  const code = await coordinator.exited;
  assert.equal(code, 0, coordinator.out());

  const sweep = JSON.parse(readFileSync(join(swept, 'sweep.json'), 'utf8')) as SweepFile;
  assert.equal(sweep.trials.length, 8);
  assert.equal(new Set(sweep.trials.map((t) => t.id)).size, 8, 'every trial once');
  assert.ok(sweep.trials.every((t) => t.status === 'done'), JSON.stringify(sweep.trials.map((t) => [t.id, t.status, t.error?.code])));
  const retaken = sweep.trials.find((t) => t.id === training.id)!;
  const mentions = (out: string) => out.split('\n').filter((l) => l.includes(training.id)).join('\n');
  assert.ok((retaken.attempts ?? 0) >= 2, `attempts ${retaken.attempts}\nvictim:\n${mentions(victim.out())}\nsurvivor:\n${mentions(survivor.out())}\ncoordinator:\n${coordinator.out()}`);
  assert.equal(retaken.resumed, true, 'the other worker continued from the checkpoint in the shared folder');
  assert.equal(retaken.worker, survivor.out().match(/worker (\S+): queue/)![1]);
  assert.equal([...survivor.out().matchAll(new RegExp(`^\\S+ done ${training.id.replace(/[+.]/g, '\\$&')} `, 'gm'))].length, 1);
  assert.doesNotMatch(victim.out(), new RegExp(`done ${training.id.replace(/[+.]/g, '\\$&')} `));
  const counts = await jobCounts();
  assert.equal(counts.completed, 8, JSON.stringify(counts));
  assert.equal(counts.failed, 0);
  assert.deepEqual(tableFigures(swept), tableFigures(reference));
  assert.equal(readFileSync(join(swept, 'sweep.md'), 'utf8'), readFileSync(join(reference, 'sweep.md'), 'utf8'));
});

test('a worker whose data differs from the coordinator\'s fails each trial with both fingerprints', { skip, timeout: 600_000 }, async (t) => {
  t.after(stopAll);
  // The experiment names data.csv by a relative path; the worker runs in a folder where that file holds other numbers.
  const coordinatorDir = join(root, 'coordinator');
  const workerDir = join(root, 'elsewhere');
  mkdirSync(coordinatorDir);
  mkdirSync(workerDir);
  copyFileSync('examples/data/patients.csv', join(coordinatorDir, 'data.csv'));
  const lines = readFileSync('examples/data/patients.csv', 'utf8').split('\n');
  writeFileSync(join(workerDir, 'data.csv'), [lines[0], ...lines.slice(1).map((l) => l.replace(/^(\d+)/, (age) => String(Number(age) + 1)))].join('\n'));
  writeFileSync(
    join(coordinatorDir, 'exp.yaml'),
    `name: drift
data: { source: csv, path: data.csv, features: [age, bmi], testFraction: 0.25 }
tasks:
  - { name: readmitted, kind: binary, columns: [readmitted] }
  - { name: stay, kind: regression, columns: [length_of_stay] }
model: { encoder: { type: mlp, hidden: [4] } }
training: { epochs: 1, batchSize: 64, optimizer: { type: adam, learningRate: 0.01 } }
`,
  );
  const worker = startMtl(['worker', url, '--jobs', '1', '--threads', '1'], {}, workerDir);
  running.push(worker);
  const r = cli(['sweep', 'exp.yaml', '--queue', url], coordinatorDir);
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stdout, /FAILED \[trials\.data_mismatch\]/);
  const sweep = JSON.parse(readFileSync(join(coordinatorDir, 'runs', 'drift-sweep', 'sweep.json'), 'utf8')) as SweepFile;
  assert.equal(sweep.trials.length, 3);
  for (const trial of sweep.trials) {
    assert.equal(trial.status, 'failed');
    assert.equal(trial.error!.code, 'trials.data_mismatch');
    const theirs = /fingerprint ([0-9a-f]{16})/.exec(trial.error!.expected)![1];
    const mine = /fingerprint ([0-9a-f]{16})/.exec(trial.error!.found)![1];
    assert.notEqual(theirs, mine);
    assert.equal(trial.fingerprint, mine);
  }
  assert.match(readFileSync(join(coordinatorDir, 'runs', 'drift-sweep', 'sweep.md'), 'utf8'), /\[trials\.data_mismatch\] .*expected the coordinator's data, fingerprint [0-9a-f]{16}, found other data on this machine .*fingerprint [0-9a-f]{16}/);
});

test('a queue that cannot be reached is a coded error within seconds, for the coordinator and for a worker, and no folder is made', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const dir = join(root, 'unreachable');
  mkdirSync(dir);
  const experiment = sweepExperiment(dir);
  const out = join(dir, 'sweep');
  // Killed after 2 minutes, a hang would fail the test (status null).
  const sweep = cli(['sweep', experiment, '--queue', `redis://127.0.0.1:${port}`, '--sweep-dir', out], process.cwd(), 120_000);
  assert.equal(sweep.status, 1, sweep.stderr + sweep.stdout);
  assert.match(sweep.stderr, /^error \[queue\.unreachable\] --queue\n {2}expected: a Redis server answering at redis:\/\/127\.0\.0\.1:\d+\n {2}found: {4}connection refused \(nothing listens there\)/);
  assert.ok(!existsSync(out));
  const worker = cli(['worker', `redis://127.0.0.1:${port}`], process.cwd(), 120_000);
  assert.equal(worker.status, 1, worker.stderr);
  assert.match(worker.stderr, /^error \[queue\.unreachable\] mtl worker <redis URL>/);
  assert.match(worker.stderr, /fix: +start one \(redis-server --port \d+\)/);
});
