import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import type { RunSummary } from '../experiment/runExperiment.js';
import type { Overrides } from './overrides.js';

/** A trial's failure as data: the coded error (`MtlError` fields), or `internal` with the message of an unexpected one. */
export interface TrialError {
  code: string;
  path: string;
  expected: string;
  found: string;
  fix?: string;
  message: string;
}

/**
 * What running a trial gave, the same from every runner: `done` with the run's summary
 * (per-task test metrics, parameters, epochs), or `failed` with the coded error; the
 * wall seconds it took (for a reused trial, those of the run that trained it).
 */
export interface TrialResult {
  id: string;
  overrides: Overrides;
  status: 'done' | 'failed';
  summary?: RunSummary;
  error?: TrialError;
  seconds: number;
  /** The run folder the trial trained in (on the machine that trained it). */
  runDir?: string;
  /** Training milliseconds per optimisation step (epochs' training time over their steps, evaluation excluded). */
  msPerStep?: number;
  /** Whether it continued from a checkpoint left by an interrupted run. */
  resumed?: boolean;
  /** Whether an earlier sweep had already finished it (nothing was trained now). */
  reused?: boolean;
  /** {@link dataFingerprint} of the data it trained on. */
  fingerprint?: string;
  /** Which process ran it: `host:pid`. */
  worker?: string;
  /** Native CPU threads the trial's process computed with. */
  threads?: number;
  /** How many times a queue worker started it (more than 1 when a worker died in it and another took it over). */
  attempts?: number;
}

/** The file in a trial's run folder that records its result. */
export const TRIAL_RECORD = 'trial.json';

/** A result record as stored: the result plus the config it belongs to (a changed experiment must not reuse it). */
interface TrialRecord extends TrialResult {
  config: ExperimentConfig;
}

/** An error as a {@link TrialError} (an unexpected one as code `internal`). */
export function toTrialError(error: unknown): TrialError {
  if (error instanceof MtlError) {
    return { code: error.code, path: error.path, expected: error.expected, found: error.found, ...(error.fix ? { fix: error.fix } : {}), message: error.message };
  }
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return { code: 'internal', path: 'trial', expected: 'the trial to run', found: message, message };
}

/** A stored trial error as an MtlError again (to throw or print). */
export function fromTrialError(error: TrialError): MtlError {
  return new MtlError({ code: error.code, path: error.path, expected: error.expected, found: error.found, ...(error.fix ? { fix: error.fix } : {}) });
}

/** Write a trial's record into its run folder atomically (a temporary file renamed over it). */
export function writeTrialRecord(runDir: string, config: ExperimentConfig, result: TrialResult): void {
  const path = join(runDir, TRIAL_RECORD);
  const record: TrialRecord = { ...result, config };
  writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** The finished result recorded in a run folder for exactly this experiment, or undefined (none, failed, or another experiment). */
export function readDoneRecord(runDir: string, config: ExperimentConfig): TrialResult | undefined {
  const path = join(runDir, TRIAL_RECORD);
  if (!existsSync(path)) return undefined;
  let record: TrialRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as TrialRecord;
  } catch {
    return undefined;
  }
  if (record.status !== 'done' || JSON.stringify(record.config) !== JSON.stringify(config)) return undefined;
  const { config: _config, ...result } = record;
  return result;
}
