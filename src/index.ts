/**
 * mtl-ts: multi-task learning on TensorFlow.js.
 *
 * Tasks, sharing architectures, task-balancing methods, the training loop with
 * checkpoints and resume, evaluation against single-task baselines (Δm), data loaders
 * and the experiment runner behind the `mtl` command.
 */
export { MtlError } from './errors.js';

export type { Task, TaskKind, TaskSpec, HeadSpec, Metric, MetricDirection } from './tasks/task.js';
export { TASK_KINDS } from './tasks/task.js';
export { createTask } from './tasks/createTask.js';
export { maskedMeanLoss, sigmoidCrossEntropy, softmaxCrossEntropy, squaredError } from './tasks/losses.js';
export { METRICS, accuracy, auc, f1, meanAbsoluteError, meanSquaredError, rocAuc, rootMeanSquaredError } from './tasks/metrics.js';

export type { MultiTaskModel } from './architectures/multiTaskModel.js';
export { variablesOf } from './architectures/multiTaskModel.js';
export { buildEncoder, encoderStages, residualBlock, type EncoderSpec, type EncoderStages } from './architectures/encoders.js';
export { buildHead } from './architectures/heads.js';
export { hardSharing, type HardSharingArgs } from './architectures/hardSharing.js';
export { softSharing, SOFT_SHARING_PENALTY, type SoftSharingArgs } from './architectures/softSharing.js';
// Importing these registers their custom layers, so saved models load.
export { crossStitch, CrossStitch, type CrossStitchArgs } from './architectures/crossStitch.js';
export { ExpertMixture, type GateWeights } from './architectures/expertMixture.js';
export { mtan, type MtanArgs } from './architectures/mtan.js';
export { mmoe, type MmoeArgs, type GatedMultiTaskModel } from './architectures/mmoe.js';
export { ple, type PleArgs } from './architectures/ple.js';
export { adaShare, type AdaShareArgs, type AdaShareModel, type AdaSharePolicy } from './architectures/adashare.js';
export { buildArchitecture, ARCHITECTURES, ARCHITECTURE_OPTIONS, type ArchitectureName } from './architectures/registry.js';
export { trainAdaShare, resolveAdaShareSchedule, type AdaShareTrainingArgs, type AdaShareTrainingResult, type AdaShareSearchProgress, type AdaSharePhaseRecord } from './training/adashareTraining.js';

export type { WeightingMethod, WeightingInput, WeightingOutput, WeightingContext, WeightingNeeds, GradientMode } from './weighting/method.js';
export { equalWeighting } from './weighting/equal.js';
export { staticWeighting } from './weighting/static.js';
export { weightingMethods, getWeightingMethod } from './weighting/registry.js';
export { methodStateToJson, methodStateFromJson } from './weighting/stateJson.js';

export type { Optimizer, OptimizerState } from './training/optimizers/optimizer.js';
export { Adam, type AdamOptions } from './training/optimizers/adam.js';
export { Sgd, type SgdOptions } from './training/optimizers/sgd.js';
export { learningRateAt, type ScheduleSpec } from './training/schedules.js';
export { trainStep, type TrainStepArgs, type TrainStepResult } from './training/trainStep.js';
export { fit, type FitArgs, type FitResult, type EpochRecord, type EarlyStoppingSpec } from './training/fit.js';
export { recalibrateBatchNorm, hasBatchNorm, BATCH_NORM_RECALIBRATION_BATCHES } from './training/batchNormRecalibration.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, type TrainingPosition } from './training/checkpoint.js';
export { Random, type RandomState } from './training/random.js';
export { installSeededRandom, uninstallSeededRandom } from './training/seededRandom.js';

export { evaluate, type Evaluation, type TaskEvaluation } from './evaluation/evaluate.js';
export { deltaM, type MetricComparison } from './evaluation/deltaM.js';

export * from './data/index.js';

export { saveModel, loadModel, readModelArtifacts } from './io/modelFiles.js';
export { selectBackend } from './backend/selectBackend.js';

export { validateExperiment, readExperiment, type ExperimentConfig, type ExperimentInput } from './experiment/config.js';
export { runExperiment, runBaselines, formatSummary, type RunSummary } from './experiment/runExperiment.js';
export { evaluateRun } from './experiment/evaluateRun.js';
