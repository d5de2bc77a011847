import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { Evaluation } from '../evaluation/evaluate.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { readSummary, runExperiment } from '../experiment/runExperiment.js';
import { hasCheckpoint } from '../training/checkpoint.js';
import { monitoredValue, type EpochRecord } from '../training/fit.js';
import type { Candidate } from './candidates.js';

/**
 * One network a grouping search needs trained: the candidate, the experiment that trains it
 * ({@link candidateExperiment}) and its folder name under `<group>/candidates/`. A trial
 * runner (this sequential one, a pool of processes, a queue) trains it there with
 * `runExperiment`, and {@link readCandidateOutcome} reads what the search needs back.
 */
export interface CandidateTrial {
  candidate: Candidate;
  experiment: ExperimentConfig;
  folder: string;
}

/** What a search reads back from a trained candidate. */
export interface CandidateOutcome {
  id: string;
  runDir: string;
  /** Validation evaluation after each epoch (index e − 1 is epoch e). */
  validationByEpoch: Evaluation[];
  /** Validation evaluation of the final model (the best epoch's when early stopping restored it). */
  validation: Evaluation;
  /** Test evaluation of the final model. */
  test: Evaluation;
  /** Training time of the run, in seconds (of its last session, for a resumed run). */
  seconds: number;
  /** True when the run was already finished in the folder and was only read. */
  reused: boolean;
}

/**
 * Trains a list of candidate networks and returns their outcomes in the same order: the
 * seam between a grouping search and whatever runs its trials. {@link sequentialTrials}
 * trains them one after another in this process.
 */
export type TrainCandidates = (
  trials: readonly CandidateTrial[],
  context: { groupDir: string; log: (line: string) => void; progress?: boolean },
) => Promise<CandidateOutcome[]>;

/** Where a trial's run folder is. */
export function trialRunDir(groupDir: string, trial: CandidateTrial): string {
  return join(groupDir, 'candidates', trial.folder);
}

/**
 * The sequential in-process trial runner: each candidate is trained with `runExperiment`
 * into `<group>/candidates/<folder>/`. A folder that already holds the finished run of the
 * same experiment is read, not retrained; one with a checkpoint resumes from it; so a
 * search that was stopped continues where it was.
 *
 * @throws MtlError `grouping.candidate_mismatch` when a candidate folder holds a run of a
 *   different experiment (the experiment file changed since): nothing there is touched.
 */
export const sequentialTrials: TrainCandidates = async (trials, context) => {
  const outcomes: CandidateOutcome[] = [];
  for (const [k, trial] of trials.entries()) {
    const runDir = trialRunDir(context.groupDir, trial);
    const state = trialState(runDir, trial.experiment);
    if (state === 'finished') {
      outcomes.push({ ...readCandidateOutcome(runDir, trial.candidate.id), reused: true });
      continue;
    }
    context.log(`candidate ${k + 1}/${trials.length}: ${trial.candidate.id}${state === 'started' ? ' (resumed)' : ''}`);
    await runExperiment(trial.experiment, {
      runDir,
      resume: state === 'started',
      progress: context.progress ?? false,
      log: () => {},
    });
    outcomes.push(readCandidateOutcome(runDir, trial.candidate.id));
  }
  return outcomes;
};

/**
 * What a candidate folder holds: nothing yet, a started run (resume it), or a finished one.
 * @throws MtlError `grouping.candidate_mismatch` for a run of another experiment
 */
export function trialState(runDir: string, experiment: ExperimentConfig): 'new' | 'started' | 'finished' {
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath)) return 'new';
  if (readFileSync(configPath, 'utf8') !== JSON.stringify(experiment, null, 2) + '\n') {
    throw new MtlError({
      code: 'grouping.candidate_mismatch',
      path: runDir,
      expected: 'the run of this candidate for the experiment as it is now',
      found: 'a run of a different experiment (the experiment changed since the search started)',
      fix: 'search into another --group-dir, or delete this one to start over',
    });
  }
  if (existsSync(join(runDir, 'summary.json'))) return 'finished';
  return hasCheckpoint(join(runDir, 'checkpoint')) ? 'started' : 'new';
}

/**
 * Read a finished candidate run: per-epoch validation evaluations from metrics.jsonl, the
 * final model's validation (the best epoch's under early stopping with restoreBest) and test
 * evaluations, and its training time.
 * @throws MtlError `grouping.candidate_unfinished` when the folder has no finished run
 */
export function readCandidateOutcome(runDir: string, id: string): CandidateOutcome {
  const summary = readSummary(runDir);
  if (!summary?.multiTask || !existsSync(join(runDir, 'metrics.jsonl'))) {
    throw new MtlError({ code: 'grouping.candidate_unfinished', path: runDir, expected: 'a finished candidate run (summary.json and metrics.jsonl)', found: 'an unfinished or empty folder', fix: 'run the search again: it resumes unfinished candidates' });
  }
  const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as ExperimentConfig;
  const epochs = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { type: string })
    .filter((r): r is EpochRecord => r.type === 'epoch');
  const validationByEpoch = epochs.map((r) => r.evaluation!).filter(Boolean);
  let validation = validationByEpoch[validationByEpoch.length - 1]!;
  const stopping = config.training.earlyStopping;
  if (stopping && (stopping.restoreBest ?? true) && validationByEpoch.length > 0) {
    let best = 0;
    const first = monitoredValue(validationByEpoch[0]!, stopping.metric);
    let bestValue = first.value;
    validationByEpoch.forEach((e, k) => {
      const { value } = monitoredValue(e, stopping.metric);
      if (first.higherIsBetter ? value > bestValue + (stopping.minDelta ?? 0) : value < bestValue - (stopping.minDelta ?? 0)) {
        best = k;
        bestValue = value;
      }
    });
    validation = validationByEpoch[best]!;
  }
  return { id, runDir, validationByEpoch, validation, test: summary.multiTask.evaluation, seconds: summary.multiTask.seconds, reused: false };
}
