import { MtlError } from '../errors.js';
import { FileRunStore } from './fileRunStore.js';
import { fitLoop, type FitLoopArgs, type FitResult } from './fitLoop.js';

export {
  fitLoop,
  formatEpochLine,
  gramianDiagnostics,
  monitoredValue,
  type EarlyStoppingSpec,
  type EpochRecord,
  type FitCallbackResult,
  type FitLoopArgs,
  type FitResult,
  type StepContext,
  type StepEndInfo,
} from './fitLoop.js';

/** {@link fit}'s arguments: the training loop's ({@link FitLoopArgs}) and a run folder. */
export interface FitArgs extends FitLoopArgs {
  /**
   * Run folder (Node): `metrics.jsonl`, `checkpoint/` and `best/` are kept there
   * ({@link FileRunStore}: marked as a run folder, locked while training, every file
   * written atomically, checkpoints verified before a resume). Give this or `store`.
   */
  runDir?: string;
}

/**
 * Train a multi-task model (see {@link fitLoop}, the training loop, which is also the
 * `fit` of the browser entry), keeping the run in `runDir` when one is given.
 *
 * @throws MtlError `config.incompatible` when both `runDir` and `store` are given.
 */
export async function fit(args: FitArgs): Promise<FitResult> {
  const { runDir, ...rest } = args;
  if (!runDir) return fitLoop(rest);
  if (args.store) {
    throw new MtlError({
      code: 'config.incompatible',
      path: 'fit.store',
      expected: 'either runDir (a run folder) or store, not both',
      found: `runDir "${runDir}" and a store at ${args.store.location}`,
      fix: 'pass store: new FileRunStore(runDir), or runDir alone',
    });
  }
  return fitLoop({ ...rest, store: new FileRunStore(runDir) });
}
