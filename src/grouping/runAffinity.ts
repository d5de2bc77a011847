import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { readSummary, runExperiment, type RunOptions, type RunSummary } from '../experiment/runExperiment.js';
import { hasCheckpoint } from '../training/checkpoint.js';
import { AFFINITY_FILE, AFFINITY_RECORDS_FILE, AffinityRecorder, type AffinityRecord } from './affinityRecorder.js';

/** Options of {@link runAffinity}. */
export interface AffinityRunOptions extends Pick<RunOptions, 'epochs' | 'progress' | 'log'> {
  /** Run folder. @defaultValue runs/<name>-affinity */
  runDir?: string;
  /** Record every this many steps. @defaultValue the experiment's grouping.affinityEvery, else 10 */
  every?: number;
  /** Continue a stopped run from its checkpoint (the recordings made before are kept). */
  resume?: boolean;
  /** Backend description for the summary. */
  backend?: string;
}

/** What {@link runAffinity} returns. */
export interface AffinityRun {
  runDir: string;
  affinity: AffinityRecord;
  summary: RunSummary;
}

export { AFFINITY_FILE, AFFINITY_RECORDS_FILE } from './affinityRecorder.js';

/**
 * `mtl affinity`: one joint training run of the experiment (all its tasks, its architecture,
 * weighting and optimizer) that records TAG's lookahead inter-task affinity and the gradient
 * cosines every `every` steps ({@link AffinityRecorder}), a normal run folder plus
 * `affinity.json` (averages over training and per epoch) and `affinity.jsonl` (every
 * recording). The recorder does not change the training: the model is the one `mtl train`
 * would give.
 *
 * @throws MtlError the errors of `runExperiment` (`run.exists` for a used folder without
 *   `resume`, ...) and `grouping.too_few_tasks` for a one-task experiment
 */
export async function runAffinity(config: ExperimentConfig, options: AffinityRunOptions = {}): Promise<AffinityRun> {
  if (config.tasks.length < 2) {
    throw new MtlError({
      code: 'grouping.too_few_tasks',
      path: 'tasks',
      expected: 'at least two tasks (affinity is measured between tasks)',
      found: `one task ("${config.tasks[0]!.name}")`,
      fix: 'add tasks to the experiment',
    });
  }
  const runDir = options.runDir ?? join('runs', `${config.name}-affinity`);
  const every = options.every ?? config.grouping?.affinityEvery ?? 10;
  const resume = options.resume ?? false;
  // The recorder writes into the folder before runExperiment checks it: check here first.
  if (!resume && (existsSync(join(runDir, 'summary.json')) || hasCheckpoint(join(runDir, 'checkpoint')))) {
    throw new MtlError({
      code: 'run.exists',
      path: runDir,
      expected: 'a new run folder',
      found: 'a run folder that already holds a run',
      fix: 'pass --resume to continue it, --force to overwrite it, or choose another --run-dir',
    });
  }
  const recorder = new AffinityRecorder({ every, file: join(runDir, AFFINITY_RECORDS_FILE), resume });
  const summary = await runExperiment(config, {
    runDir,
    resume,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.progress !== undefined ? { progress: options.progress } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
    beforeStep: recorder.beforeStep,
  });
  const affinity = recorder.result();
  writeAtomically(join(runDir, AFFINITY_FILE), JSON.stringify(affinity, null, 2) + '\n');
  return { runDir, affinity, summary };
}

/** Read a finished affinity run's averages. @throws MtlError `grouping.no_affinity` when the folder has none */
export function readAffinity(runDir: string): AffinityRecord {
  const path = join(runDir, AFFINITY_FILE);
  if (!existsSync(path) || !readSummary(runDir)) {
    throw new MtlError({ code: 'grouping.no_affinity', path, expected: 'the affinity of a finished affinity run', found: 'none', fix: 'run mtl affinity <experiment> first' });
  }
  return JSON.parse(readFileSync(path, 'utf8')) as AffinityRecord;
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}
