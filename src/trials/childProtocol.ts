import type { Trial } from './trial.js';
import type { TrialError, TrialResult } from './trialResult.js';

/** Messages from a pool to its trial process. */
export type ToChild = { type: 'run'; trial: Trial; runDir: string; expectedFingerprint?: string } | { type: 'exit' };

/** Messages from a trial process to its pool. */
export type FromChild =
  /** The backend is up; the process takes trials. */
  | { type: 'ready'; backend: string; threads: number }
  /** The process cannot take trials (no backend): the error, then it exits. */
  | { type: 'fatal'; error: TrialError }
  | { type: 'log'; id: string; line: string }
  | { type: 'result'; result: TrialResult };
