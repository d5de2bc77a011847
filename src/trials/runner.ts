import type { Trial } from './trial.js';
import type { TrialResult } from './trialResult.js';

/** One trial handed to a runner: the trial and the run folder the coordinator gives it. */
export interface TrialTask {
  trial: Trial;
  /** `<sweep folder>/<trial id>` on the coordinator's machine. */
  runDir: string;
}

/** What happens while trials run, for progress displays. */
export type TrialEvent =
  /** The trials are known: how many, and how many an earlier run already finished. */
  | { type: 'plan'; total: number; reused: number; runner: string }
  /** A trial started on a worker process (`host:pid`). */
  | { type: 'start'; id: string; worker?: string }
  /** A line of a trial's log (data, epochs, summary). */
  | { type: 'log'; id: string; line: string }
  /** A trial finished (done or failed); `finished` of `total` are finished now. */
  | { type: 'result'; result: TrialResult; finished: number; total: number }
  /** Something the runner wants the user to know (a retried trial, a lost worker). */
  | { type: 'note'; message: string };

/** What a runner receives besides the trials. */
export interface RunnerContext {
  sweepDir: string;
  /** Report a start or log line. */
  onEvent(event: Extract<TrialEvent, { type: 'start' | 'log' | 'note' }>): void;
  /** Report a trial's result as soon as it is known (the coordinator records it). */
  onResult(result: TrialResult): void;
}

/**
 * Runs trials somewhere and returns one result per trial, in any order; one trial's
 * failure is a `failed` result, not an exception. Two implementations: {@link
 * localPool} (child processes on this machine) and {@link queueRunner} (BullMQ on
 * Redis, trained by `mtl worker` processes on any machine). An exception means the
 * runner itself cannot go on (no backend, no queue).
 */
export interface TrialRunner {
  /** One line for logs, e.g. `local pool: 2 jobs × 1 thread`. */
  readonly description: string;
  /** Check that the runner can work (a queue that answers), before any folder is touched. */
  prepare?(): Promise<void>;
  run(tasks: readonly TrialTask[], context: RunnerContext): Promise<TrialResult[]>;
}
