import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MtlError } from '../errors.js';
import { folderConflict, holdsOtherRun } from './executeTrial.js';
import { localPool } from './localPool.js';
import type { TrialEvent, TrialRunner, TrialTask } from './runner.js';
import { lockSweepFolder } from './sweepLock.js';
import type { Trial } from './trial.js';
import { readDoneRecord, writeTrialRecord, type TrialResult } from './trialResult.js';

/** Options of {@link runTrials}. */
export interface RunTrialsOptions {
  /** Where the trials run. @defaultValue localPool() (every core) */
  runner?: TrialRunner;
  /** The folder that holds one run folder per trial (`<sweepDir>/<trial id>/`). */
  sweepDir: string;
  /** Receives the plan, each start, log line and result. */
  onProgress?: (event: TrialEvent) => void;
}

/** A trial id as a relative folder path: names of letters, digits, `.`, `_`, `+`, `-`, at most one `/`. */
const ID = /^(?!\.)[A-Za-z0-9._+-]+(\/(?!\.)[A-Za-z0-9._+-]+)?$/;

/**
 * Run trials and return their results in the order given. Before anything trains: the
 * ids are checked (unique, usable as folder names), the sweep folder is claimed (one
 * coordinator at a time), and every trial's run folder is checked not to hold another
 * experiment's run. Trials an earlier run finished are reused as they are; a trial
 * that was interrupted continues from its checkpoint; the rest train on the runner.
 * Every result is recorded in `<sweepDir>/<id>/trial.json` as soon as it is known, so a
 * coordinator killed at any point loses nothing finished.
 *
 * @example
 * ```ts
 * const base = readExperiment('examples/multimnist.yaml');
 * const trials = defineTrials(base, [{ 'weighting.method': 'equal' }, { 'weighting.method': 'pcgrad' }]);
 * const results = await runTrials(trials, { runner: localPool({ jobs: 2 }), sweepDir: 'runs/methods' });
 * // results[i]: { id, overrides, status: 'done' | 'failed', summary?, error?, seconds }
 * ```
 */
export async function runTrials(trials: readonly Trial[], options: RunTrialsOptions): Promise<TrialResult[]> {
  const sweepDir = resolve(options.sweepDir);
  const seen = new Map<string, Trial>();
  for (const trial of trials) {
    if (!ID.test(trial.id) || trial.id.split('/').some((p) => p === '..' || p === '.')) {
      throw new MtlError({ code: 'trials.bad_id', path: `trial ${JSON.stringify(trial.id)}`, expected: 'a folder name of letters, digits, ".", "_", "+", "-" (one "/" at most)', found: JSON.stringify(trial.id), fix: 'let defineTrial name it' });
    }
    const key = trial.id.toLowerCase();
    if (seen.has(key)) {
      throw new MtlError({ code: 'trials.duplicate', path: `trial ${trial.id}`, expected: 'every trial id once', found: `"${trial.id}" ${seen.get(key)!.id === trial.id ? 'twice' : `and "${seen.get(key)!.id}"`}`, fix: 'give each trial its own overrides (or id)' });
    }
    seen.set(key, trial);
  }
  const folder = (trial: Trial) => join(sweepDir, ...trial.id.split('/'));
  // Read-only checks first: nothing is created before every trial is known to be runnable here.
  for (const trial of trials) {
    if (holdsOtherRun(folder(trial), trial.config)) throw folderConflict(folder(trial), trial.id);
  }
  const results = new Map<string, TrialResult>();
  const pending: TrialTask[] = [];
  for (const trial of trials) {
    // Results this coordinator recorded. A run that finished without its result reaching the
    // coordinator (killed at that moment) goes to the runner, which has the full result (the
    // queue keeps it) or rebuilds it from the run folder without training.
    const done = readDoneRecord(folder(trial), trial.config);
    if (done) results.set(trial.id, { ...done, id: trial.id, overrides: trial.overrides, reused: true });
    else pending.push({ trial, runDir: folder(trial) });
  }
  const runner = options.runner ?? localPool();
  if (pending.length > 0) await runner.prepare?.();
  const release = lockSweepFolder(sweepDir);
  try {
    const total = trials.length;
    options.onProgress?.({ type: 'plan', total, reused: results.size, runner: runner.description });
    let finished = results.size;
    const byId = new Map(trials.map((t) => [t.id, t]));
    if (pending.length > 0) {
      await runner.run(pending, {
        sweepDir,
        onEvent: (event) => options.onProgress?.(event),
        onResult: (result) => {
          const trial = byId.get(result.id);
          // Counted once: a trial's result is taken the first time it arrives.
          if (!trial || results.has(result.id)) return;
          const recorded = { ...result, overrides: trial.overrides };
          mkdirSync(folder(trial), { recursive: true });
          writeTrialRecord(folder(trial), trial.config, recorded);
          results.set(result.id, recorded);
          finished += 1;
          options.onProgress?.({ type: 'result', result: recorded, finished, total });
        },
      });
    }
    return trials.map((t) => {
      const result = results.get(t.id);
      if (!result) {
        throw new MtlError({ code: 'trials.no_result', path: `trial ${t.id}`, expected: 'a result from the runner', found: 'none', fix: 'run the sweep again: it continues where it stopped' });
      }
      return result;
    });
  } finally {
    release();
  }
}
