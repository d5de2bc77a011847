import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { loadExperimentData, type ExperimentData } from '../experiment/loadData.js';
import { readSummary, runExperiment } from '../experiment/runExperiment.js';
import { SEARCH_CHECKPOINT_DIR, hasSearchCheckpoint } from '../training/adashareTraining.js';
import { hasCheckpoint } from '../training/checkpoint.js';
import { dataFingerprint } from './dataFingerprint.js';
import type { Trial } from './trial.js';
import { readDoneRecord, toTrialError, type TrialResult } from './trialResult.js';

/** Options of {@link executeTrial}. */
export interface ExecuteTrialOptions {
  /** The trial's run folder. */
  runDir: string;
  /** The coordinator's fingerprint of the trial's data; another one here fails the trial (`trials.data_mismatch`). */
  expectedFingerprint?: string;
  /** The backend's description, recorded in the run summary. */
  backend?: string;
  /** Receives the run's log lines (data, epochs, summary). @defaultValue none */
  log?: (line: string) => void;
  /** Loaded data kept between the trials of one process. @defaultValue a new cache */
  dataCache?: DataCache;
  /** Native threads this process computes with (recorded in the result). */
  threads?: number;
}

/**
 * Loaded experiment data, kept for the next trials of the same process: the trials of
 * a sweep mostly share their data (every method of one seed), and loading
 * MultiFashion costs seconds. Keyed by the fields the loaded data depends on (the data
 * block, the seed, the tasks); the last `capacity` loads are kept.
 */
export class DataCache {
  private readonly entries: Array<{ key: string; data: ExperimentData; fingerprint: string }> = [];

  constructor(private readonly capacity = 2) {}

  /** The experiment's data and its fingerprint, loaded now or earlier. */
  load(config: ExperimentConfig): { data: ExperimentData; fingerprint: string } {
    const key = JSON.stringify({ data: config.data, seed: config.seed, tasks: config.tasks });
    const hit = this.entries.find((e) => e.key === key);
    if (hit) return hit;
    const data = loadExperimentData(config);
    const entry = { key, data, fingerprint: dataFingerprint(data) };
    this.entries.unshift(entry);
    this.entries.length = Math.min(this.entries.length, this.capacity);
    return entry;
  }
}

/** This process, as recorded in trial results: `host:pid`. */
export function processName(): string {
  return `${hostname()}:${process.pid}`;
}

/** Whether a run folder holds a run of another experiment than `config` (a started or finished one). */
export function holdsOtherRun(runDir: string, config: ExperimentConfig): boolean {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) return false;
  const started = existsSync(join(runDir, 'summary.json')) || hasCheckpoint(join(runDir, 'checkpoint')) || hasSearchCheckpoint(join(runDir, SEARCH_CHECKPOINT_DIR));
  return started && readFileSync(path, 'utf8') !== JSON.stringify(config, null, 2) + '\n';
}

/** The error for a run folder that holds another experiment's run. */
export function folderConflict(runDir: string, id: string): MtlError {
  return new MtlError({
    code: 'trials.folder_conflict',
    path: runDir,
    expected: `the run folder of trial ${id} holding this trial's experiment (or nothing)`,
    found: 'a run of another experiment (the experiment file changed since that run)',
    fix: 'use another sweep folder, or remove that run folder to train it again',
  });
}

/**
 * A finished trial's result from its run folder alone: a `trial.json` of this
 * experiment, or else a `summary.json` with the multi-task model's evaluation next to
 * this experiment's `config.json` (a run whose result never reached the coordinator).
 * Undefined when the trial has not finished there.
 */
export function finishedResult(trial: Trial, runDir: string): TrialResult | undefined {
  const recorded = readDoneRecord(runDir, trial.config);
  if (recorded) return { ...recorded, reused: true };
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath) || readFileSync(configPath, 'utf8') !== JSON.stringify(trial.config, null, 2) + '\n') return undefined;
  const summary = readSummary(runDir);
  if (!summary?.multiTask) return undefined;
  const msPerStep = trainingMsPerStep(runDir);
  return {
    id: trial.id,
    overrides: trial.overrides,
    status: 'done',
    summary,
    seconds: summary.multiTask.seconds,
    runDir,
    ...(msPerStep !== undefined ? { msPerStep } : {}),
    reused: true,
  };
}

/** Training milliseconds per step of a run folder, from the epoch records of metrics.jsonl (evaluation excluded). */
export function trainingMsPerStep(runDir: string): number | undefined {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return undefined;
  let seconds = 0;
  let steps = 0;
  let previous = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let record: { type?: string; step?: number; seconds?: number };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue;
    }
    if (record.type !== 'epoch' || typeof record.step !== 'number' || typeof record.seconds !== 'number') continue;
    seconds += record.seconds;
    steps += record.step - previous;
    previous = record.step;
  }
  return steps > 0 ? (1000 * seconds) / steps : undefined;
}

/**
 * Run one trial in this process, in its run folder: reuse it when it finished
 * before; continue it from its checkpoint when an interrupted run left one (an
 * AdaShare policy search included); else train it. A failure (a coded error: a
 * diverged loss, data that does not fit the tasks, a fingerprint that is not the
 * coordinator's) is returned as a `failed` result, never thrown, so the other trials
 * go on. The caller has selected the backend.
 */
export async function executeTrial(trial: Trial, options: ExecuteTrialOptions): Promise<TrialResult> {
  const { runDir } = options;
  const started = Date.now();
  const common = {
    id: trial.id,
    overrides: trial.overrides,
    runDir,
    worker: processName(),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  };
  let fingerprint: string | undefined;
  try {
    const done = finishedResult(trial, runDir);
    if (done) return { ...done, ...common };
    if (holdsOtherRun(runDir, trial.config)) throw folderConflict(runDir, trial.id);
    const loaded = (options.dataCache ?? new DataCache(1)).load(trial.config);
    fingerprint = loaded.fingerprint;
    if (options.expectedFingerprint !== undefined && options.expectedFingerprint !== fingerprint) {
      throw new MtlError({
        code: 'trials.data_mismatch',
        path: `trial ${trial.id}: data (${trial.config.data.source})`,
        expected: `the coordinator's data, fingerprint ${options.expectedFingerprint}`,
        found: `other data on this machine (${processName()}), fingerprint ${fingerprint}`,
        fix: 'give every machine the same data files (or the same version of the data set) at the path the experiment names',
      });
    }
    const resume = existsSync(join(runDir, 'config.json')) && (hasCheckpoint(join(runDir, 'checkpoint')) || hasSearchCheckpoint(join(runDir, SEARCH_CHECKPOINT_DIR)));
    const summary = await runExperiment(trial.config, {
      runDir,
      resume,
      progress: false,
      log: options.log ?? (() => {}),
      baselines: false,
      data: loaded.data,
      ...(options.backend ? { backend: options.backend } : {}),
    });
    const msPerStep = trainingMsPerStep(runDir);
    return {
      ...common,
      status: 'done',
      summary,
      seconds: (Date.now() - started) / 1000,
      ...(msPerStep !== undefined ? { msPerStep } : {}),
      resumed: resume,
      fingerprint,
    };
  } catch (error) {
    return { ...common, status: 'failed', error: toTrialError(error), seconds: (Date.now() - started) / 1000, ...(fingerprint ? { fingerprint } : {}) };
  }
}
