import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { Evaluation } from '../evaluation/evaluate.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { readSummary, runExperiment, type RunSummary } from '../experiment/runExperiment.js';
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
export type TrainCandidates = ((
  trials: readonly CandidateTrial[],
  context: { groupDir: string; log: (line: string) => void; progress?: boolean },
) => Promise<CandidateOutcome[]>) & {
  /** Check that the runner can work (a queue that answers): called before the search trains anything. */
  prepare?(): Promise<void>;
};

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
 * Read a finished candidate run: its validation evaluations (after each epoch, and of the
 * final model: the best epoch's under early stopping with restoreBest) and test evaluation
 * from its summary, and its training time. Runs whose summary predates the validation
 * field are read from metrics.jsonl.
 * @throws MtlError `grouping.candidate_unfinished` when the folder has no finished run
 */
export function readCandidateOutcome(runDir: string, id: string): CandidateOutcome {
  const summary = readSummary(runDir);
  if (!summary?.multiTask) {
    throw new MtlError({ code: 'grouping.candidate_unfinished', path: runDir, expected: 'a finished candidate run (summary.json)', found: 'an unfinished or empty folder', fix: 'run the search again: it resumes unfinished candidates' });
  }
  return outcomeFromSummary(id, runDir, summary, () => validationFromMetrics(runDir));
}

/**
 * A candidate's outcome from its run summary (as a trial runner returns it). `fallback`
 * gives the validation evaluations when the summary has none.
 * @throws MtlError `grouping.no_validation` when neither has them
 */
export function outcomeFromSummary(id: string, runDir: string, summary: RunSummary, fallback?: () => { byEpoch: Evaluation[]; final: Evaluation } | undefined): CandidateOutcome {
  const validation = summary.multiTask!.validation ?? fallback?.();
  if (!validation || validation.byEpoch.length === 0) {
    throw new MtlError({
      code: 'grouping.no_validation',
      path: runDir,
      expected: 'validation evaluations in the run (a search selects on validation data)',
      found: 'none',
      fix: 'set data.validationFraction (or grouping.validationFraction) in the experiment',
    });
  }
  return { id, runDir, validationByEpoch: validation.byEpoch, validation: validation.final, test: summary.multiTask!.evaluation, seconds: summary.multiTask!.seconds, reused: false };
}

/** Validation evaluations of a run as metrics.jsonl holds them (runs written before summaries had them). */
function validationFromMetrics(runDir: string): { byEpoch: Evaluation[]; final: Evaluation } | undefined {
  if (!existsSync(join(runDir, 'metrics.jsonl'))) return undefined;
  const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as ExperimentConfig;
  const byEpoch = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { type: string })
    .filter((r): r is EpochRecord => r.type === 'epoch' && Boolean((r as EpochRecord).evaluation))
    .map((r) => r.evaluation!);
  if (byEpoch.length === 0) return undefined;
  let final = byEpoch[byEpoch.length - 1]!;
  const stopping = config.training.earlyStopping;
  if (stopping && (stopping.restoreBest ?? true)) {
    const first = monitoredValue(byEpoch[0]!, stopping.metric);
    let bestValue = first.value;
    final = byEpoch[0]!;
    for (const e of byEpoch) {
      const { value } = monitoredValue(e, stopping.metric);
      if (first.higherIsBetter ? value > bestValue + (stopping.minDelta ?? 0) : value < bestValue - (stopping.minDelta ?? 0)) {
        bestValue = value;
        final = e;
      }
    }
  }
  return { byEpoch, final };
}
