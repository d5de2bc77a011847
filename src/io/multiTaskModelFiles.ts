import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
// Imported for their side effect: each file registers its layer class, so saved models load.
import '../architectures/crossStitch.js';
import '../architectures/expertMixture.js';
import { wrapLoadedModel, type LoadedMultiTaskModel } from '../inference/loadedModel.js';
import { describeModel, userDefinedMetadata, type ModelMetadata } from '../inference/modelMetadata.js';
import type { PreprocessorJson } from '../preprocessing/preprocessor.js';
import { readModelArtifacts, saveModel } from './modelFiles.js';

/**
 * A multi-task model folder in Node: saved with its description (tasks, output names,
 * target scaling, tabular preprocessing) and loaded back as a {@link LoadedMultiTaskModel},
 * the same object the browser entry's `loadMultiTaskModel` returns. The only Node part
 * is reading and writing the folder.
 */

/** Options of {@link saveMultiTaskModel}. */
export interface SaveMultiTaskModelOptions {
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /** Tabular data: the fitted preprocessing (raw rows → inputs; class and target names). */
  preprocessing?: PreprocessorJson;
  /** Multiclass tasks without preprocessing: class names in index order. */
  classNames?: Record<string, readonly string[]>;
}

/**
 * Save a trained multi-task model with its description in `model.json`'s
 * `userDefinedMetadata` (see `ModelMetadata`), loadable with {@link loadMultiTaskModel}
 * here or `tfjs-multitask/browser`'s `loadMultiTaskModel` in a page. Returns the description.
 */
export async function saveMultiTaskModel(model: MultiTaskModel, dir: string, options: SaveMultiTaskModelOptions): Promise<ModelMetadata> {
  const description = describeModel({
    tasks: model.tasks,
    inputShape: options.inputShape,
    architecture: model.architecture,
    ...(options.preprocessing ? { preprocessing: options.preprocessing } : {}),
    ...(options.classNames ? { classNames: options.classNames } : {}),
  });
  await saveModel(model.model, dir, userDefinedMetadata(description));
  return description;
}

/**
 * Load a model saved by tfjs-multitask from a folder: a model folder (`model.json` +
 * `weights.bin`) or a run folder (its `model/` is loaded). Same API as the browser
 * entry's `loadMultiTaskModel`: named outputs, `predictValues` (probabilities,
 * regression values in their units), `predictRows` (raw records → predictions).
 *
 * @example
 * ```ts
 * const model = await loadMultiTaskModel('runs/customers');
 * model.predictRows([{ age: '41', plan: 'pro', region: 'NA' }]);
 * ```
 * @throws MtlError `io.missing_model` when there is no model there.
 */
export async function loadMultiTaskModel(dir: string): Promise<LoadedMultiTaskModel> {
  const folder = modelFolder(dir);
  const artifacts = readModelArtifacts(folder);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return wrapLoadedModel(model, join(folder, 'model.json'));
}

/**
 * The model folder of `dir`: `dir` itself when it holds `model.json`, else its `model/`
 * (a run folder).
 * @throws MtlError `io.missing_model` when neither holds a model.
 */
export function modelFolder(dir: string): string {
  if (existsSync(join(dir, 'model.json'))) return dir;
  if (existsSync(join(dir, 'model', 'model.json'))) return join(dir, 'model');
  throw new MtlError({
    code: 'io.missing_model',
    path: dir,
    expected: 'a run folder with model/model.json, or a model folder with model.json (written by mtl train)',
    found: existsSync(dir) ? 'a folder without a saved model' : 'no such folder',
    fix: 'check the path, or train first: mtl train <experiment>',
  });
}
