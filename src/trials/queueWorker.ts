import { resolve as resolvePath, join } from 'node:path';
import { MtlError } from '../errors.js';
import { ChildPool } from './childPool.js';
import { processName } from './executeTrial.js';
import { QUEUE_NAME, sharesSweepFolder, type TrialJobData } from './queueProtocol.js';
import { CONNECT_TIMEOUT_MS, RECONNECT_WINDOW_MS, checkRedis, displayUrl, parseRedisUrl, redisOptions } from './redisConnection.js';
import { availableCores, threadsPerJob } from './threadShare.js';
import type { TrialResult } from './trialResult.js';

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  /** The Redis server the coordinators use, `redis://host:port`. */
  url: string;
  /** How the URL is named in errors. @defaultValue startQueueWorker({ url }) */
  where?: string;
  /** Trials trained at once on this machine. @defaultValue the number of cores */
  jobs?: number;
  /** Native threads per trial. @defaultValue ⌊cores / jobs⌋ */
  threads?: number;
  /** Backend of the trial processes. @defaultValue $MTL_BACKEND, else the best available */
  backend?: string;
  /** Where run folders go when the coordinator's sweep folder is not visible here. @defaultValue runs/worker */
  dir?: string;
  /**
   * How long a trial stays claimed by a worker that stopped answering before another
   * worker takes it over (BullMQ's lock duration; the stalled-job check runs as
   * often). @defaultValue 30 s
   */
  lockSeconds?: number;
  /** @defaultValue 5000 ms */
  connectTimeoutMs?: number;
  /** One line per event (started, finished, a lost connection). @defaultValue none */
  log?: (line: string) => void;
}

/** A running worker. */
export interface QueueWorkerHandle {
  /** `host:pid`, as coordinators see it. */
  name: string;
  description: string;
  /** Resolves when the worker has stopped; rejects with `queue.lost` when Redis went away for good. */
  closed: Promise<void>;
  /** Stop taking trials; `force` also stops the running ones (their jobs go back to the queue when their lock expires). */
  close(force?: boolean): Promise<void>;
}

/**
 * Start a queue worker: take trials from the `mtl-trials` queue of the Redis server,
 * train each in a child process (its share of the cores' threads, the same processes
 * as the local pool), check the data's fingerprint against the coordinator's, and
 * return the result through the queue. Trains in the coordinator's run folder when
 * this machine sees it (a shared file system: a trial taken over from a dead worker
 * then resumes from its checkpoint), else under `dir`.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const where = options.where ?? 'startQueueWorker({ url })';
  const target = parseRedisUrl(options.url, where);
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  for (const [name, value] of [['jobs', options.jobs], ['threads', options.threads], ['lockSeconds', options.lockSeconds]] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new MtlError({ code: 'trials.bad_option', path: `startQueueWorker({ ${name} })`, expected: 'a positive number', found: String(value) });
    }
  }
  await checkRedis(target, where, connectTimeoutMs);
  const { Worker } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const log = options.log ?? (() => {});
  const jobs = options.jobs ?? availableCores();
  const threads = options.threads ?? threadsPerJob(jobs);
  const dir = resolvePath(options.dir ?? join('runs', 'worker'));
  const lockMs = Math.round((options.lockSeconds ?? 30) * 1000);
  const name = processName();
  const pool = new ChildPool({
    processes: jobs,
    threads,
    ...(options.backend ? { backend: options.backend } : {}),
    onStart: (id, child) => log(`started ${id} in process ${child}`),
  });
  const connection = redisOptions(target, connectTimeoutMs);

  const worker = new Worker<TrialJobData, TrialResult>(
    QUEUE_NAME,
    async (job) => {
      const data = job.data;
      if (data?.version !== 1 || !data.trial) throw new Error(`job ${job.id}: not a trial job of this version of tfjs-multitask`);
      const shared = sharesSweepFolder(data);
      const runDir = shared ? data.runDir : join(dir, data.sweepKey, ...data.trial.id.split('/'));
      log(`took ${data.trial.id}${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}: run folder ${runDir}${shared ? " (the coordinator's)" : ''}`);
      let result: TrialResult;
      try {
        result = await pool.run(data.trial, runDir, data.fingerprint);
      } catch (error) {
        // The trial processes cannot start here (no backend): stop taking trials; the job goes to another worker.
        log(`cannot train here: ${(error as Error).message}`);
        void shutdown(true).then(() => stop(error as Error));
        throw error;
      }
      log(`${result.status === 'done' ? 'done' : `failed [${result.error?.code}]`} ${data.trial.id} in ${result.seconds.toFixed(1)} s${result.resumed ? ' (resumed from its checkpoint)' : ''}`);
      return { ...result, worker: name };
    },
    {
      connection: connection as never,
      concurrency: jobs,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 2,
      name,
    },
  );
  worker.on('error', () => {
    // Connection trouble: watched by the health check below.
  });

  // A health check on its own connection: Redis gone for longer than the reconnect window stops the worker.
  const health = new Redis({ ...connection, maxRetriesPerRequest: 1, enableOfflineQueue: true } as never);
  health.on('error', () => {});
  let stop!: (error?: Error) => void;
  const closed = new Promise<void>((resolve, reject) => {
    stop = (error) => (error ? reject(error) : resolve());
  });
  let lostSince: number | undefined;
  const timer = setInterval(() => {
    health.ping().then(
      () => {
        if (lostSince !== undefined) log('connection to Redis back');
        lostSince = undefined;
      },
      () => {
        if (lostSince === undefined) log(`lost the connection to ${displayUrl(options.url)}; retrying for ${RECONNECT_WINDOW_MS / 1000} s`);
        lostSince ??= Date.now();
        if (Date.now() - lostSince > RECONNECT_WINDOW_MS) {
          void shutdown(true).then(() =>
            stop(
              new MtlError({
                code: 'queue.lost',
                path: where,
                expected: `the Redis server at ${displayUrl(options.url)} to keep answering`,
                found: `no answer for ${RECONNECT_WINDOW_MS / 1000} s`,
                fix: 'restart Redis, then the worker',
              }),
            ),
          );
        }
      },
    );
  }, 2000);
  timer.unref();

  let closing: Promise<void> | undefined;
  const shutdown = (force = false) => {
    closing ??= (async () => {
      clearInterval(timer);
      await worker.close(force).catch(() => {});
      await pool.close();
      health.disconnect();
    })();
    return closing;
  };
  const description = `worker ${name}: queue "${QUEUE_NAME}" at ${displayUrl(options.url)}, ${jobs} job${jobs === 1 ? '' : 's'} × ${threads} thread${threads === 1 ? '' : 's'}`;
  return {
    name,
    description,
    closed,
    async close(force = false) {
      await shutdown(force);
      stop();
    },
  };
}
