import fs from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import * as tf from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { readModelArtifacts, readWeights } from '../io/modelFiles.js';
import { readModelMetadata } from '../inference/modelMetadata.js';
import { readJsonFile } from '../io/readFile.js';
import { acquireRunLock, LOCK_FILE, type RunLock } from '../io/runLock.js';
import { assertSafeRunLocation, clearRunFolder, ensureRunFolder, isMarkedRunFolder } from '../io/runMarker.js';
import { checkWritable, writeFileAtomic } from '../io/writeFile.js';
import { withSeededRandom } from '../random/seededRandom.js';
import { checkpointPosition } from '../training/checkpoint.js';
import { buildModel, buildTasks } from './buildExperiment.js';
import { validateExperiment, type ExperimentConfig } from './config.js';
import { isAdaShare, readPolicy } from './runExperiment.js';
import { resolveResume } from './resumeOverrides.js';

/** Read and validate a run's config.json (damaged JSON or a foreign shape is a coded error naming the file). */
export function readConfigFile(path: string): ExperimentConfig {
  return validateExperiment(readJsonFile(path, z.unknown(), { what: 'the run\'s config.json' }), path);
}

/** The experiment of a trained run folder; a folder without a finished run is a coded error. */
export function readRunConfig(runDir: string): ExperimentConfig {
  const configPath = join(runDir, 'config.json');
  if (!fs.existsSync(configPath) || !fs.existsSync(join(runDir, 'model', 'model.json'))) {
    throw new MtlError({
      code: 'run.missing',
      path: runDir,
      expected: 'a run folder with config.json and model/ (written by mtl train)',
      found: fs.existsSync(runDir) ? (fs.statSync(runDir).isDirectory() ? 'a folder without a finished run' : 'a file') : 'no such folder',
      fix: 'train first: mtl train <experiment>',
    });
  }
  return readConfigFile(configPath);
}

/**
 * Rebuild a saved model of a run folder (the multi-task model, or with `taskNames` a
 * single-task baseline) and load its trained weights from `modelDir` (checked: confined
 * paths, sizes, checksum, finite values, and shapes that fit the rebuilt model);
 * `policyDir` holds the AdaShare policy when the architecture has one. The target
 * scaling of regression tasks comes from the model's saved metadata.
 *
 * @throws MtlError `run.model_mismatch` when the saved weights are not those of the model the run's config builds.
 */
export function loadRunModel(
  config: ExperimentConfig,
  modelDir: string,
  inputShape: readonly number[],
  options: { taskNames?: string[]; policyDir?: string } = {},
): MultiTaskModel {
  const weights = readWeights(modelDir);
  const saved = readModelMetadata(readModelArtifacts(modelDir).userDefinedMetadata, join(modelDir, 'model.json'));
  const model = withSeededRandom(config.seed, () => buildModel(config, buildTasks(config, options.taskNames, saved?.preprocessing), inputShape));
  try {
    if (isAdaShare(model)) model.finalize(readPolicy(options.policyDir ?? join(modelDir, '..')), { fromScratch: false });
    const current = model.model.weights;
    if (weights.length !== current.length || weights.some((w, i) => !tf.util.arraysEqual(w.shape, current[i]!.shape as number[]))) {
      throw new MtlError({
        code: 'run.model_mismatch',
        path: join(modelDir, 'model.json'),
        expected: `the weights of the model config.json describes (${current.length} tensors)`,
        found: `${weights.length} tensors${weights.length === current.length ? ' of other shapes' : ''}`,
        fix: 'the model folder does not belong to this run: restore it, or train again',
      });
    }
    model.model.setWeights(weights);
    return model;
  } catch (error) {
    model.model.dispose();
    throw error;
  } finally {
    weights.forEach((w) => w.dispose());
  }
}

/** A run folder opened for writing: the config to train with, and the lock to release when done. */
export interface OpenRun {
  /** The experiment as the run continues (a resume's overrides applied and recorded). */
  config: ExperimentConfig;
  lock: RunLock;
}

/** Whether a folder already holds a run (a checkpoint, a search checkpoint or a summary). */
function holdsRun(runDir: string): boolean {
  return ['checkpoint', 'checkpoint.old', 'search-checkpoint', 'search-checkpoint.old', 'summary.json'].some((f) => fs.existsSync(join(runDir, f)));
}

/** The checkpoint's step and completed epochs (0 and 0 without one), for an override's step. */
function checkpointStep(runDir: string): { step: number; epochsDone: number } {
  const position = checkpointPosition(join(runDir, 'checkpoint'));
  return position ? { step: position.step, epochsDone: position.epoch } : { step: 0, epochsDone: 0 };
}

/**
 * Open a run folder for training, checking everything before writing anything:
 * - a new run: the folder is created and marked (or must be empty, or a marked run
 *   folder); one that already holds a run is refused unless `force`, which empties it
 *   (marked run folders only, see runMarker.ts);
 * - a resume: the folder must be a run folder (one of an older version of tfjs-multitask is marked), and
 *   the experiment the same as its config.json except the learning rate and the epochs,
 *   which become overrides recorded in config.json (see resumeOverrides.ts); every other
 *   changed field is named in the refusal;
 * - `baselines`: the single-task baselines of a run: config.json, where it exists, must
 *   be this experiment.
 * Then the folder's lock is taken (a second writer is refused), its writability probed,
 * and config.json written. A refused call leaves the folder exactly as it was.
 *
 * @throws MtlError `run.exists`, `run.missing`, `run.config_changed`, `run.bad_override`,
 *   `run.locked`, `run.not_a_run_folder`, `run.unsafe_folder`, `run.holds_other_runs`, and
 *   file errors (`io.read_only`, `io.disk_full`, ...).
 */
export function openRunFolder(
  runDir: string,
  requested: ExperimentConfig,
  options: { mode: 'new' | 'resume' | 'baselines'; force?: boolean; log?: (line: string) => void; reentrant?: boolean },
): OpenRun {
  const log = options.log ?? ((l: string) => console.log(l));
  const configPath = join(runDir, 'config.json');
  assertSafeRunLocation(runDir);
  const exists = fs.existsSync(runDir);
  let config = requested;
  let notes: string[] = [];
  let requestedOverrides: number | undefined;
  if (options.mode === 'resume') {
    if (!exists || !fs.existsSync(configPath)) {
      throw new MtlError({
        code: 'run.missing',
        path: runDir,
        expected: 'a run folder with config.json to resume',
        found: exists ? 'a folder without config.json' : 'no such folder',
        fix: 'start the run without --resume',
      });
    }
    const saved = readConfigFile(configPath);
    const { step, epochsDone } = checkpointStep(runDir);
    const decision = resolveResume(saved, requested, { step, epochsDone, configPath });
    config = decision.config;
    notes = decision.notes;
    requestedOverrides = saved.overrides?.length ?? 0;
  } else if (options.mode === 'baselines') {
    if (exists && fs.existsSync(configPath)) {
      const saved = readConfigFile(configPath);
      // Baselines train with the run's settings as they are now: no override here.
      const decision = resolveResume(saved, { ...requested, overrides: saved.overrides } as ExperimentConfig, { step: 0, epochsDone: 0, configPath });
      if (decision.added.length > 0) {
        throw new MtlError({
          code: 'run.config_changed',
          path: configPath,
          expected: 'the experiment of the run whose baselines these are',
          found: decision.added.map((o) => `${o.field}: ${o.old} → ${o.new}`).join('; '),
          fix: 'train the baselines with the run\'s own settings (its config.json), or start a new run',
        });
      }
      config = saved;
    }
  } else if (exists && holdsRun(runDir) && !options.force) {
    throw new MtlError({
      code: 'run.exists',
      path: runDir,
      expected: 'a new run folder',
      found: 'a run folder that already holds a run',
      fix: 'pass --resume to continue it, --force to overwrite it, or choose another --run-dir',
    });
  }
  // Checked: now the folder may change.
  ensureRunFolder(runDir, { adoptLegacy: options.mode !== 'new', log });
  const lock = acquireRunLock(runDir, { log, ...(options.reentrant ? { reentrant: true } : {}) });
  try {
    if (options.mode === 'new' && options.force) clearRunFolder(runDir, [LOCK_FILE]);
    checkWritable(runDir);
    for (const line of notes) log(line);
    const write = options.mode === 'new' ? true : options.mode === 'resume' ? (config.overrides?.length ?? 0) > (requestedOverrides ?? 0) : !fs.existsSync(configPath);
    if (write) writeFileAtomic(configPath, JSON.stringify(config, null, 2) + '\n', 'the run\'s config.json');
    return { config, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Whether `dir` is a run folder mtl created (see runMarker.ts). */
export function isRunFolder(dir: string): boolean {
  return isMarkedRunFolder(dir);
}
