import { MtlError } from '../errors.js';
import { ChildPool } from './childPool.js';
import type { TrialRunner } from './runner.js';
import { availableCores, threadsPerJob } from './threadShare.js';
import type { TrialResult } from './trialResult.js';

/** Options of {@link localPool}. */
export interface LocalPoolOptions {
  /** Trials trained at once, each in its own process. @defaultValue the number of cores */
  jobs?: number;
  /** Native threads per trial. @defaultValue ⌊cores / jobs⌋, at least 1 */
  threads?: number;
  /** Backend the trial processes use (`native`, `wasm`, `cpu`, ...). @defaultValue $MTL_BACKEND, else the best available */
  backend?: string;
}

function checkCount(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    throw new MtlError({ code: 'trials.bad_option', path: `localPool({ ${name} })`, expected: 'a whole number from 1', found: String(value), fix: `e.g. ${name}: 2` });
  }
}

/**
 * The local runner: `jobs` child processes of this one train trials side by side,
 * each with its share of the cores' threads, so that N jobs do not oversubscribe the
 * machine. A trial that fails (or whose process dies) is a failed result; the others
 * go on.
 *
 * @example
 * ```ts
 * const results = await runTrials(trials, { runner: localPool({ jobs: 2 }), sweepDir: 'runs/my-sweep' });
 * ```
 */
export function localPool(options: LocalPoolOptions = {}): TrialRunner {
  checkCount(options.jobs, 'jobs');
  checkCount(options.threads, 'threads');
  const jobs = options.jobs ?? availableCores();
  const threads = options.threads ?? threadsPerJob(jobs);
  return {
    description: `local pool: ${jobs} job${jobs === 1 ? '' : 's'} × ${threads} thread${threads === 1 ? '' : 's'}`,
    async run(tasks, context) {
      const pool = new ChildPool({
        processes: Math.min(jobs, tasks.length),
        threads,
        ...(options.backend ? { backend: options.backend } : {}),
        onStart: (id, worker) => context.onEvent({ type: 'start', id, worker }),
        onLog: (id, line) => context.onEvent({ type: 'log', id, line }),
      });
      try {
        return await Promise.all(
          tasks.map(async ({ trial, runDir }): Promise<TrialResult> => {
            const result = await pool.run(trial, runDir);
            context.onResult(result);
            return result;
          }),
        );
      } finally {
        await pool.close();
      }
    },
  };
}
