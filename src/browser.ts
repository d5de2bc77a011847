/**
 * Browser entry point (`mtl-ts/browser`): load a model saved by mtl-ts (a run folder's
 * `model/`, `best/` or `checkpoint/model/`, served over HTTP) and predict every task in
 * one call, from tensors or from raw records (tabular models).
 *
 * Importing this module registers the library's custom layers (`MtlCrossStitch`,
 * `MtlExpertMixture`) with tfjs serialisation, so `tf.loadLayersModel` can rebuild
 * cross-stitch, MMoE and PLE models; the other architectures use built-in tfjs layers
 * only. It imports nothing from Node (no file system, native addon, experiments or
 * CLI), so any bundler can target the browser with it.
 *
 * The custom layers are registered with the `@tensorflow/tfjs` this module imports;
 * `tf` is re-exported so that a page can use that same instance.
 */
import * as tf from '@tensorflow/tfjs';
// Imported for their side effect too: each file registers its layer class.
import { CrossStitch } from './architectures/crossStitch.js';
import { ExpertMixture } from './architectures/expertMixture.js';

import { taskNamesOf, wrapLoadedModel, type LoadedMultiTaskModel } from './inference/loadedModel.js';

export { tf, CrossStitch, ExpertMixture, taskNamesOf, wrapLoadedModel };
export type {
  BinaryPrediction,
  LoadedMultiTaskModel,
  MulticlassPrediction,
  MultilabelPrediction,
  Prediction,
  RawRecord,
  RegressionPrediction,
  TaskPrediction,
} from './inference/loadedModel.js';
export type { ModelMetadata, TaskMetadata, OutputActivation } from './inference/modelMetadata.js';
export type { PreprocessorJson, FeatureTransform, TargetTransform } from './preprocessing/preprocessor.js';

/**
 * Load a model saved by mtl-ts with `tf.loadLayersModel` (a URL of its `model.json`, or
 * any tfjs IO handler) and name its outputs by task. A model trained by `mtl train`
 * carries its tasks' kinds, output names and target scaling, and for tabular data its
 * preprocessing, so `predictRows` maps raw records to predictions with class names and
 * regression values in their own units: the same code as `mtl predict` in Node.
 *
 * @example
 * import { loadMultiTaskModel } from 'mtl-ts/browser';
 * const model = await loadMultiTaskModel('/runs/customers/model/model.json');
 * model.predictRows([{ age: 41, plan: 'pro', region: null }]);
 * // [{ churn: { label: 'yes', probability: 0.71 }, spend: { value: 5210.4, values: { spend: 5210.4 } } }]
 */
export async function loadMultiTaskModel(
  pathOrHandler: string | tf.io.IOHandler,
  options?: tf.io.LoadOptions,
): Promise<LoadedMultiTaskModel> {
  const model = await tf.loadLayersModel(pathOrHandler, options);
  return wrapLoadedModel(model, typeof pathOrHandler === 'string' ? pathOrHandler : 'model.json');
}
