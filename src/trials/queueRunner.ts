import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { loadExperimentData } from '../experiment/loadData.js';
import { dataFingerprint } from './dataFingerprint.js';
import { QUEUE_NAME, jobIdOf, markSweepFolder, sweepKeyOf, type TrialJobData } from './queueProtocol.js';
import { CONNECT_TIMEOUT_MS, RECONNECT_WINDOW_MS, checkRedis, displayUrl, parseRedisUrl, redisOptions } from './redisConnection.js';
import type { TrialRunner, TrialTask } from './runner.js';
import { toTrialError, type TrialError, type TrialResult } from './trialResult.js';

/** Options of {@link queueRunner}. */
export interface QueueRunnerOptions {
  /** The Redis server, `redis://host:port` (`rediss://` for TLS). */
  url: string;
  /** How the URL is named in errors. @defaultValue queueRunner({ url }) */
  where?: string;
  /** How long to wait for Redis when the sweep starts. @defaultValue 5000 ms */
  connectTimeoutMs?: number;
  /** How often the coordinator looks at its jobs. @defaultValue 500 ms */
  pollMs?: number;
  /** How long finished jobs (their results) stay in Redis. @defaultValue 30 days */
  keepSeconds?: number;
}

/** Job options: a job that a worker's process threw on is tried again elsewhere; results are kept for restarted coordinators. */
const ATTEMPTS = 3;

/**
 * The distributed runner: the coordinator puts one BullMQ job per trial on the queue
 * `mtl-trials` of a Redis server, and `mtl worker redis://host:port` processes on any
 * machine take them, train them and return their results through the queue.
 *
 * - Data: each job carries the coordinator's fingerprint of the trial's data (see
 *   {@link dataFingerprint}); a worker whose data loads to other numbers fails the
 *   trial with `trials.data_mismatch`, naming both fingerprints.
 * - A worker killed in a trial stops renewing its lock; BullMQ's stalled-job check in
 *   the other workers puts the job back and another worker takes it. It resumes from
 *   the trial's checkpoint when the run folders are shared, else trains it again. The
 *   result is keyed by the job id (sweep, experiment, data, trial id), so each trial
 *   counts once.
 * - A coordinator killed and restarted finds its jobs by the same ids: finished
 *   results come from the sweep folder's records or from Redis (kept 30 days),
 *   waiting and running ones are waited for, failed ones are queued again.
 * - A Redis server that does not answer is a coded error (`queue.unreachable`) within
 *   seconds; one that goes away during the sweep, after 30 s of retries (`queue.lost`).
 *
 * @example
 * ```ts
 * await runTrials(trials, { runner: queueRunner({ url: 'redis://10.0.0.5:6379' }), sweepDir: 'runs/methods' });
 * // on every machine: mtl worker redis://10.0.0.5:6379
 * ```
 */
export function queueRunner(options: QueueRunnerOptions): TrialRunner {
  const where = options.where ?? 'queueRunner({ url })';
  const target = parseRedisUrl(options.url, where);
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const pollMs = options.pollMs ?? 500;
  const keep = { age: options.keepSeconds ?? 30 * 86400 };
  return {
    description: `queue ${displayUrl(options.url)} (BullMQ queue "${QUEUE_NAME}", trained by mtl worker)`,
    prepare: () => checkRedis(target, where, connectTimeoutMs),
    async run(tasks, context) {
      const { Queue } = await import('bullmq');
      const sweepKey = sweepKeyOf(context.sweepDir);
      markSweepFolder(context.sweepDir, sweepKey);
      const queue = new Queue<TrialJobData, TrialResult>(QUEUE_NAME, {
        connection: { ...redisOptions(target, connectTimeoutMs), maxRetriesPerRequest: 1 } as never,
      });
      queue.on('error', () => {
        // Connection trouble shows as failing commands below, which give up after RECONNECT_WINDOW_MS.
      });
      const results: TrialResult[] = [];
      const handled = new Set<string>();
      const finish = (result: TrialResult) => {
        results.push(result);
        context.onResult(result);
      };
      const outstanding = new Map<string, { task: TrialTask; data: TrialJobData; started: number }>();
      const add = (jobId: string, data: TrialJobData) =>
        queue.add('trial', data, { jobId, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: keep, removeOnFail: keep });
      const fingerprints = new Map<string, string>();
      try {
        await retrying(target.url, where, async () => {
          for (const task of tasks) {
            if (handled.has(task.trial.id)) continue;
            let fingerprint: string;
            try {
              fingerprint = fingerprintOf(task.trial.config, fingerprints);
            } catch (error) {
              // The coordinator cannot load this trial's data: it fails here, like it would on a worker.
              handled.add(task.trial.id);
              finish(failure(task, toTrialError(error)));
              continue;
            }
            const data: TrialJobData = { version: 1, trial: task.trial, sweepDir: context.sweepDir, runDir: task.runDir, sweepKey, fingerprint };
            const jobId = jobIdOf(sweepKey, task.trial, fingerprint);
            const existing = await queue.getJob(jobId);
            const state = existing ? await existing.getState() : 'unknown';
            // A job that failed, or whose trial failed, is queued again (the data may have been fixed since);
            // one that waits, runs or finished is waited for or taken as it is.
            if (existing && (state === 'failed' || (state === 'completed' && existing.returnvalue?.status !== 'done'))) await existing.remove();
            else if (existing) {
              outstanding.set(jobId, { task, data, started: 0 });
              handled.add(task.trial.id);
              continue;
            }
            await add(jobId, data);
            outstanding.set(jobId, { task, data, started: 0 });
            handled.add(task.trial.id);
          }
        });
        while (outstanding.size > 0) {
          await new Promise((resolve) => setTimeout(resolve, pollMs));
          await retrying(target.url, where, async () => {
            for (const [jobId, entry] of outstanding) {
              const state = await queue.getJobState(jobId);
              if (state === 'unknown') {
                // Removed by someone else (or expired): queue it again.
                await add(jobId, entry.data);
                continue;
              }
              if (state !== 'active' && state !== 'completed' && state !== 'failed') continue;
              const job = await queue.getJob(jobId);
              if (!job) continue;
              if (state === 'active' && job.attemptsStarted > entry.started) {
                if (entry.started > 0) {
                  context.onEvent({ type: 'note', message: `${entry.task.trial.id}: taken again (attempt ${job.attemptsStarted}) by ${job.processedBy ?? 'a worker'}: the worker that had it stopped answering` });
                }
                entry.started = job.attemptsStarted;
                context.onEvent({ type: 'start', id: entry.task.trial.id, ...(job.processedBy ? { worker: job.processedBy } : {}) });
              }
              if (state === 'completed') {
                outstanding.delete(jobId);
                const value = job.returnvalue;
                finish(value && typeof value === 'object' ? { ...value, attempts: job.attemptsStarted } : failure(entry.task, internal('the job finished without a result')));
              } else if (state === 'failed') {
                outstanding.delete(jobId);
                const reason = job.failedReason ?? 'no reason given';
                const lost = /stalled/i.test(reason);
                finish({
                  ...failure(entry.task, {
                    code: lost ? 'trials.worker_lost' : 'trials.worker_failed',
                    path: `trial ${entry.task.trial.id}`,
                    expected: 'a worker to finish the trial',
                    found: lost ? `its workers stopped answering ${job.attemptsStarted} times (${reason})` : `the worker failed: ${reason}`,
                    fix: lost ? 'check the workers (memory, restarts); run the sweep again to queue it again' : 'see the worker\'s output; run the sweep again to queue it again',
                    message: reason,
                  }),
                  attempts: job.attemptsStarted,
                });
              }
            }
          });
        }
      } finally {
        await queue.close().catch(() => {});
      }
      return results;
    },
  };
}

/**
 * The fingerprint of a trial's data, loaded here once per distinct data: the data block
 * and seed, and for CSV data the tasks (which columns are labels). The other sources
 * load every task's labels whatever the trial's tasks, so their single-task trials
 * share the fingerprint of the whole experiment.
 */
function fingerprintOf(config: ExperimentConfig, memo: Map<string, string>): string {
  const key = JSON.stringify({ data: config.data, seed: config.seed, tasks: config.data.source === 'csv' ? config.tasks : undefined });
  let fingerprint = memo.get(key);
  if (fingerprint === undefined) {
    fingerprint = dataFingerprint(loadExperimentData(config));
    memo.set(key, fingerprint);
  }
  return fingerprint;
}

function failure(task: TrialTask, error: TrialError): TrialResult {
  return { id: task.trial.id, overrides: task.trial.overrides, status: 'failed', error, seconds: 0 };
}

function internal(message: string): TrialError {
  return { code: 'internal', path: 'queue', expected: 'a result', found: message, message };
}

/** Run Redis commands, retrying for {@link RECONNECT_WINDOW_MS} while the connection is lost, then `queue.lost`. */
async function retrying(url: string, where: string, work: () => Promise<void>): Promise<void> {
  const since = Date.now();
  for (;;) {
    try {
      await work();
      return;
    } catch (error) {
      if (error instanceof MtlError) throw error;
      if (Date.now() - since > RECONNECT_WINDOW_MS) {
        throw new MtlError({
          code: 'queue.lost',
          path: where,
          expected: `the Redis server at ${displayUrl(url)} to keep answering`,
          found: `no answer for ${(RECONNECT_WINDOW_MS / 1000).toFixed(0)} s (${((error as Error).message ?? String(error)).split('\n')[0]})`,
          fix: 'restart Redis (with its data, or the results are lost) and run the sweep again: finished trials are kept in the sweep folder',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
