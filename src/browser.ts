/**
 * Browser entry point (`tfjs-multitask/browser`): train multi-task models in the page,
 * on WebGL, WebGPU, WebAssembly or the CPU backend, and load and run models trained
 * anywhere (`mtl train` in Node, or in a page).
 *
 * Training: `fit` (the same training loop as Node's, without the run folder), the
 * training step, the sharing architectures, task definitions, every task-balancing
 * method, the optimizers and schedules, the in-memory data set and the synthetic data
 * generators; a run's checkpoint and metrics go to a {@link RunStore}: IndexedDB
 * ({@link IndexedDbRunStore}, survives a reload) or memory ({@link MemoryRunStore}).
 * docs/browser.md shows a complete page.
 *
 * Inference: importing this module registers the library's custom layers
 * (`MtlCrossStitch`, `MtlExpertMixture`) with tfjs serialisation, so `tf.loadLayersModel`
 * can rebuild cross-stitch, MMoE and PLE models; {@link loadMultiTaskModel} names the
 * outputs by task and maps raw records to predictions.
 *
 * Nothing in this module's import graph comes from Node (no file system, native addon,
 * experiments or CLI; test/browser/importGraph.test.ts checks it), so any bundler can
 * target the browser with it. The custom layers are registered with the
 * `@tensorflow/tfjs` this module imports; `tf` is re-exported so that a page can use
 * that same instance.
 */
import * as tf from '@tensorflow/tfjs';
// Imported for their side effect too: each file registers its layer class.
import { CrossStitch } from './architectures/crossStitch.js';
import { ExpertMixture } from './architectures/expertMixture.js';

import { taskNamesOf, wrapLoadedModel, type LoadedMultiTaskModel } from './inference/loadedModel.js';

export { tf, CrossStitch, ExpertMixture, taskNamesOf, wrapLoadedModel };

// Training: the loop and its stores.
export {
  fitLoop as fit,
  formatEpochLine,
  monitoredValue,
  type FitLoopArgs as FitArgs,
  type FitResult,
  type FitCallbackResult,
  type EpochRecord,
  type EarlyStoppingSpec,
  type StepContext,
  type StepEndInfo,
} from './training/fitLoop.js';
export type { RunStore } from './training/runStore.js';
export { MemoryRunStore } from './training/memoryRunStore.js';
export { IndexedDbRunStore, RUN_DATABASE } from './training/indexedDbRunStore.js';
export { applyCheckpoint, type CheckpointContents, type CheckpointSummary, type TrainingPosition } from './training/checkpointState.js';
export { trainStep, type TrainStepArgs, type TrainStepResult } from './training/trainStep.js';
export type { Optimizer, OptimizerState } from './training/optimizers/optimizer.js';
export { Adam, type AdamOptions } from './training/optimizers/adam.js';
export { Sgd, type SgdOptions } from './training/optimizers/sgd.js';
export { learningRateAt, type ScheduleSpec } from './training/schedules.js';
export { recalibrateBatchNorm, hasBatchNorm } from './training/batchNormRecalibration.js';
export { Random, type RandomState } from './random/random.js';
export { installSeededRandom, uninstallSeededRandom, withSeededRandom } from './random/seededRandom.js';
export { evaluate, type Evaluation, type TaskEvaluation } from './evaluation/evaluate.js';
export { MtlError } from './errors.js';

// Models, tasks, balancing methods.
export type { MultiTaskModel } from './architectures/multiTaskModel.js';
export { buildArchitecture, ARCHITECTURES, ARCHITECTURE_OPTIONS, type ArchitectureName } from './architectures/registry.js';
export { buildEncoder, type EncoderSpec } from './architectures/encoders.js';
export { hardSharing, type HardSharingArgs } from './architectures/hardSharing.js';
export { mmoe, type MmoeArgs } from './architectures/mmoe.js';
export { ple, type PleArgs } from './architectures/ple.js';
export type { Task, TaskKind, TaskSpec, HeadSpec, Metric } from './tasks/task.js';
export { createTask } from './tasks/createTask.js';
export type { WeightingMethod, GradientMode } from './weighting/method.js';
export { weightingMethods, getWeightingMethod } from './weighting/registry.js';

// Data held in memory, and generators.
export { ArrayDataset, disposeBatch, type Batch, type Dataset, type Features, type TaskLabels } from './data/dataset.js';
export { trainTestSplit, type TrainTestSplitArgs } from './data/split.js';
export { syntheticClusters, clusterTaskNames, type SyntheticClustersArgs } from './data/syntheticClusters.js';
export { mmoeSynthetic, gradNormRegression, type MmoeSyntheticArgs, type GradNormRegressionArgs } from './data/synthetic.js';
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
 * Load a model saved by tfjs-multitask with `tf.loadLayersModel` (a URL of its `model.json`, or
 * any tfjs IO handler) and name its outputs by task. A model trained by `mtl train`
 * carries its tasks' kinds, output names and target scaling, and for tabular data its
 * preprocessing, so `predictRows` maps raw records to predictions with class names and
 * regression values in their own units: the same code as `mtl predict` in Node.
 *
 * @example
 * import { loadMultiTaskModel } from 'tfjs-multitask/browser';
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
