import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { MtlError } from '../errors.js';
import { readModelArtifacts, readWeights } from '../io/modelFiles.js';
import { readModelMetadata } from '../inference/modelMetadata.js';
import { installSeededRandom } from '../training/seededRandom.js';
import { buildModel, buildTasks } from './buildExperiment.js';
import { validateExperiment, type ExperimentConfig } from './config.js';
import { isAdaShare, readPolicy } from './runExperiment.js';

/** The experiment of a trained run folder; a folder without a finished run is a coded error. */
export function readRunConfig(runDir: string): ExperimentConfig {
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath) || !existsSync(join(runDir, 'model', 'model.json'))) {
    throw new MtlError({
      code: 'run.missing',
      path: runDir,
      expected: 'a run folder with config.json and model/ (written by mtl train)',
      found: existsSync(runDir) ? 'a folder without a finished run' : 'no such folder',
      fix: 'train first: mtl train <experiment>',
    });
  }
  return validateExperiment(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
}

/**
 * Rebuild a saved model of a run folder (the multi-task model, or with `taskNames` a
 * single-task baseline) and load its trained weights from `modelDir`; `policyDir`
 * holds the AdaShare policy when the architecture has one. The target scaling of
 * regression tasks comes from the model's saved metadata.
 */
export function loadRunModel(
  config: ExperimentConfig,
  modelDir: string,
  inputShape: readonly number[],
  options: { taskNames?: string[]; policyDir?: string } = {},
): MultiTaskModel {
  installSeededRandom(config.seed);
  const saved = readModelMetadata(readModelArtifacts(modelDir).userDefinedMetadata, join(modelDir, 'model.json'));
  const model = buildModel(config, buildTasks(config, options.taskNames, saved?.preprocessing), inputShape);
  if (isAdaShare(model)) model.finalize(readPolicy(options.policyDir ?? join(modelDir, '..')), { fromScratch: false });
  const weights = readWeights(modelDir);
  model.model.setWeights(weights);
  weights.forEach((w) => w.dispose());
  return model;
}
