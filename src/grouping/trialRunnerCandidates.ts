import { join } from 'node:path';
import { MtlError } from '../errors.js';
import { checkExperiment } from '../experiment/checkExperiment.js';
import type { TrialEvent, TrialRunner } from '../trials/runner.js';
import { runTrials } from '../trials/runTrials.js';
import type { Trial } from '../trials/trial.js';
import { fromTrialError } from '../trials/trialResult.js';
import { outcomeFromSummary, type CandidateOutcome, type TrainCandidates } from './candidateTrials.js';

/** Options of {@link candidatesOnRunner}. */
export interface CandidatesOnRunnerOptions {
  /** Where the candidates train: `localPool({ jobs })` (every core of this machine) or `queueRunner({ url })` (mtl worker processes anywhere). @defaultValue localPool() */
  runner?: TrialRunner;
  /** Receives the trials' plan, starts, log lines and results (for a progress display). */
  onProgress?: (event: TrialEvent) => void;
}

/**
 * The trial runner of a grouping search on the trials machinery (`runTrials`): every
 * candidate network is a trial in `<group>/candidates/<folder>/` (the same folders and
 * experiments as {@link sequentialTrials}, so a search can move between runners), trained
 * by a local pool of processes or by queue workers; finished ones are reused, interrupted
 * ones resume. A candidate whose training failed fails the search after the others
 * finished (`grouping.candidate_failed`; run again to retry it).
 *
 * @example
 * ```ts
 * await runGrouping(config, { method: 'exact', budget: 2, train: candidatesOnRunner({ runner: localPool({ jobs: 4 }) }) });
 * ```
 */
export function candidatesOnRunner(options: CandidatesOnRunnerOptions = {}): TrainCandidates {
  const train: TrainCandidates = async (candidates, context) => {
    if (candidates.length === 0) return [];
    const trials: Trial[] = candidates.map((c) => ({
      id: c.folder,
      overrides: {
        tasks: c.candidate.tasks,
        ...(c.candidate.size === 'half' ? { 'model.encoder': c.experiment.model.encoder } : {}),
        'training.epochs': c.experiment.training.epochs,
      },
      config: checkExperiment(c.experiment),
    }));
    const sweepDir = join(context.groupDir, 'candidates');
    const results = await runTrials(trials, {
      sweepDir,
      ...(options.runner ? { runner: options.runner } : {}),
      onProgress: (event) => {
        options.onProgress?.(event);
        if (event.type === 'result' && !event.result.reused) context.log(`candidate ${event.finished}/${event.total}: ${event.result.id} (${event.result.status})`);
      },
    });
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      const first = fromTrialError(failed[0]!.error!);
      throw new MtlError({
        code: 'grouping.candidate_failed',
        path: `${sweepDir}/${failed[0]!.id}`,
        expected: 'every candidate network trained',
        found: `${failed.length} failed, the first with [${first.code}] ${first.path}: ${first.found}`,
        fix: first.fix ?? 'fix the cause and run the search again: finished candidates are kept, failed ones are tried again',
      });
    }
    return results.map((r, k): CandidateOutcome => ({
      ...outcomeFromSummary(candidates[k]!.candidate.id, r.runDir ?? join(sweepDir, r.id), r.summary!),
      reused: Boolean(r.reused),
    }));
  };
  if (options.runner?.prepare) train.prepare = () => options.runner!.prepare!();
  return train;
}
