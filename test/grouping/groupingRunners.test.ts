import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { readExperiment, validateExperiment, type ExperimentConfig } from '../../src/experiment/config.js';
import { readCandidateOutcome } from '../../src/grouping/candidateTrials.js';
import { runGrouping } from '../../src/grouping/runGrouping.js';
import { candidatesOnRunner } from '../../src/grouping/trialRunnerCandidates.js';
import { localPool } from '../../src/trials/localPool.js';
import { queueRunner } from '../../src/trials/queueRunner.js';
import { checkRedis, parseRedisUrl } from '../../src/trials/redisConnection.js';
import { startMtl, waitFor, type Running } from '../trials/sweepHelpers.js';

const quiet = { log: () => {}, progress: false };
const ids = (r: { selection: { networks: { id: string }[] } }) => r.selection.networks.map((n) => n.id).sort();

/** The planted benchmark, 4 tasks, single-task networks and pairs only (10 candidates). */
function planted(): ExperimentConfig {
  const base = readExperiment('examples/planted-clusters.yaml');
  return validateExperiment({
    ...base,
    data: { ...base.data, clusters: [2, 2] },
    tasks: ['a1', 'a2', 'b1', 'b2'].map((name) => ({ name, kind: 'regression' })),
    grouping: { halfCost: false, maxGroupSize: 2 },
  });
}

/** Every candidate's validation losses in a grouping folder. */
function candidateLosses(groupDir: string, folders: string[]): Record<string, Record<string, number>> {
  return Object.fromEntries(
    folders.map((f) => [f, Object.fromEntries(Object.entries(readCandidateOutcome(join(groupDir, 'candidates', f), f).validation).map(([t, e]) => [t, e.loss]))]),
  );
}

const FOLDERS = ['a1', 'a2', 'b1', 'b2', 'a1+a2', 'a1+b1', 'a1+b2', 'a2+b1', 'a2+b2', 'b1+b2'];
const hasRedis = !spawnSync('redis-server', ['--version']).error;
const skipQueue = hasRedis || process.env.CI === 'true' ? false : 'redis-server is not installed (apt-get install redis-server)';
let root = '';
let redis: ChildProcess | undefined;
let url = '';
const running: Running[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'mtl-group-runners-'));
});
after(async () => {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await r.exited;
  }
  redis?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('the same search on the local pool (two processes) and in this process: the same candidates to the last bit, the same grouping', { timeout: 900_000 }, async () => {
  const config = planted();
  const sequential = await runGrouping(config, { method: 'exact', budget: 2, groupDir: join(root, 'sequential'), ...quiet });
  const pooled = await runGrouping(config, { method: 'exact', budget: 2, groupDir: join(root, 'pool'), train: candidatesOnRunner({ runner: localPool({ jobs: 2, threads: 1 }) }), ...quiet });
  assert.deepEqual(ids(pooled), ['a1+a2', 'b1+b2']);
  assert.deepEqual(ids(pooled), ids(sequential));
  assert.equal(pooled.search.trials, 10);
  assert.deepEqual(candidateLosses(join(root, 'pool'), FOLDERS), candidateLosses(join(root, 'sequential'), FOLDERS));
  // Run again on the pool: every candidate is read, nothing trains.
  const again = await runGrouping(config, { method: 'exact', budget: 2, groupDir: join(root, 'pool'), train: candidatesOnRunner({ runner: localPool({ jobs: 2, threads: 1 }) }), ...quiet });
  assert.equal(again.search.reused, 10);
  assert.deepEqual(ids(again), ids(pooled));
});

test('the same search through two queue workers on a real Redis picks the same grouping as the local pool, from the same numbers', { skip: skipQueue, timeout: 900_000 }, async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const dir = join(root, 'redis');
  mkdirSync(dir);
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  url = `redis://127.0.0.1:${port}`;
  let ready = false;
  await waitFor('redis-server to answer', () => {
    void checkRedis(parseRedisUrl(url, 'test'), 'test', 1000).then(() => (ready = true), () => {});
    return ready;
  }, 30_000);
  const workers = [startMtl(['worker', url, '--jobs', '1', '--threads', '1']), startMtl(['worker', url, '--jobs', '1', '--threads', '1'])];
  running.push(...workers);
  const config = planted();
  const queued = await runGrouping(config, { method: 'exact', budget: 2, groupDir: join(root, 'queue'), train: candidatesOnRunner({ runner: queueRunner({ url, where: 'test' }) }), ...quiet });
  assert.deepEqual(ids(queued), ['a1+a2', 'b1+b2']);
  const pool = join(root, 'pool');
  assert.deepEqual(candidateLosses(join(root, 'queue'), FOLDERS), candidateLosses(pool, FOLDERS));
  // Both workers took part.
  for (const w of workers) assert.ok(FOLDERS.some((f) => w.out().includes(f)), w.out());
});

test('a queue that cannot be reached is reported at once, before anything trains', { timeout: 60_000 }, async () => {
  const config = planted();
  await assert.rejects(
    runGrouping(config, { method: 'exact', budget: 2, groupDir: join(root, 'unreachable'), train: candidatesOnRunner({ runner: queueRunner({ url: 'redis://127.0.0.1:1', where: 'test' }) }), ...quiet }),
    (e: unknown) => e instanceof MtlError && /queue|redis/.test(e.code),
  );
});
