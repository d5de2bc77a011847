/**
 * tfjs-multitask: multi-task learning on TensorFlow.js.
 *
 * Tasks, sharing architectures, task-balancing methods, the training loop with
 * checkpoints and resume, evaluation against single-task baselines (Δm), data loaders
 * and the experiment runner behind the `mtl` command.
 */
export { MtlError } from './errors.js';

export type { Task, TaskKind, TaskSpec, HeadSpec, Metric, MetricDirection, TargetScaling } from './tasks/task.js';
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
export { fitLoop, type FitLoopArgs, type FitCallbackResult, type StepEndInfo } from './training/fitLoop.js';
export type { RunStore } from './training/runStore.js';
export type { CheckpointRecord } from './training/checkpointRecord.js';
export { FileRunStore } from './training/fileRunStore.js';
export { MemoryRunStore } from './training/memoryRunStore.js';
export { IndexedDbRunStore } from './training/indexedDbRunStore.js';
export { recalibrateBatchNorm, hasBatchNorm, BATCH_NORM_RECALIBRATION_BATCHES } from './training/batchNormRecalibration.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, readCheckpoint, applyCheckpoint, inspectCheckpoint, type TrainingPosition } from './training/checkpoint.js';
export { DivergenceError, EXPLODED_WEIGHT } from './training/divergence.js';
export { checkLabels } from './tasks/checkLabels.js';
export { Random, type RandomState } from './random/random.js';
export { installSeededRandom, uninstallSeededRandom, withSeededRandom } from './random/seededRandom.js';

export { checkTaskScales, measureTaskScales, scaleWarning, SCALE_WARNING_RATIO, type TaskScales, type ScaleCheckArgs } from './training/scaleCheck.js';

export { evaluate, type Evaluation, type TaskEvaluation } from './evaluation/evaluate.js';
export {
  deltaM,
  deltaMByTask,
  deltaMOverMetrics,
  relativeChange,
  comparisonsFromEvaluations,
  metricDirection,
  DELTA_M_FORMULA,
  type MetricComparison,
  type TaskDelta,
  type DeltaMBreakdown,
} from './evaluation/deltaM.js';

export * from './data/index.js';
export * from './preprocessing/index.js';

export { saveModel, loadModel, readModelArtifacts } from './io/modelFiles.js';
export { RUN_MARKER, markRunFolder, isMarkedRunFolder, ensureRunFolder, clearRunFolder } from './io/runMarker.js';
export { acquireRunLock, readRunLock, LOCK_FILE, type RunLock, type LockOwner } from './io/runLock.js';
export { saveMultiTaskModel, loadMultiTaskModel, modelFolder, type SaveMultiTaskModelOptions } from './io/multiTaskModelFiles.js';
export { wrapLoadedModel, taskNamesOf, formatPrediction } from './inference/loadedModel.js';
export type {
  LoadedMultiTaskModel,
  Prediction,
  TaskPrediction,
  BinaryPrediction,
  MulticlassPrediction,
  MultilabelPrediction,
  RegressionPrediction,
  RawRecord,
} from './inference/loadedModel.js';
export { describeModel, readModelMetadata, userDefinedMetadata, taskSpecOf, activationOf, METADATA_KEY, type ModelMetadata, type TaskMetadata, type OutputActivation } from './inference/modelMetadata.js';
export { predictionColumns, predictionCells } from './inference/predictionTable.js';
export { predictCsv, type PredictCsvOptions } from './experiment/predictCsv.js';
export { selectBackend, BACKEND_PREFERENCES } from './backend/selectBackend.js';

export { validateExperiment, readExperiment, type ExperimentConfig, type ExperimentInput } from './experiment/config.js';
export { runExperiment, runBaselines, formatSummary, type RunSummary, type RunTransfer } from './experiment/runExperiment.js';
export { evaluateRun } from './experiment/evaluateRun.js';
export { estimateMemory, checkMemory, type MemoryEstimate } from './experiment/memoryEstimate.js';

export { defineTrial, defineTrials, singleTaskTrial, type Trial, type DefineTrialOptions } from './trials/trial.js';
export { trialId } from './trials/trialId.js';
export type { Overrides } from './trials/overrides.js';
export type { TrialResult, TrialError } from './trials/trialResult.js';
export type { TrialRunner, TrialTask, TrialEvent, RunnerContext } from './trials/runner.js';
export { runTrials, type RunTrialsOptions } from './trials/runTrials.js';
export { localPool, type LocalPoolOptions } from './trials/localPool.js';
export { queueRunner, type QueueRunnerOptions } from './trials/queueRunner.js';
export { startQueueWorker, type QueueWorkerOptions, type QueueWorkerHandle } from './trials/queueWorker.js';
export { dataFingerprint } from './trials/dataFingerprint.js';
export { runSweep, readSweep, type SweepOptions, type SweepFile } from './sweep/runSweep.js';
export { sweepTable, formatSweepTable, type SweepTable, type SweepRow } from './sweep/sweepTable.js';
export { planSweep, type SweepPlan } from './sweep/sweepPlan.js';
export { resolveGrid, type SweepGrid } from './sweep/sweepGrid.js';

// Task grouping (Standley et al. 2020; TAG, Fifty et al. 2021) and negative transfer: docs/grouping.md.
export { standleyCandidates, pairCandidates, candidateId, type Candidate, type CandidateOptions, type NetworkSize } from './grouping/candidates.js';
export { normalizeTable, checkTable, type LossTable, type ScoredCandidate, type NormalizeOptions } from './grouping/lossTable.js';
export { evaluateSelection, cheapestCover, type Selection, type ChosenNetwork } from './grouping/selection.js';
export { branchAndBound, type BranchAndBoundOptions } from './grouping/branchAndBound.js';
export { bruteForceSelection } from './grouping/bruteForce.js';
export { earlyEpoch, selectEsa, EARLY_FRACTION } from './grouping/earlySnapshot.js';
export { hoaModel, selectHoa } from './grouping/higherOrderApproximation.js';
export { selectPairwise, type PairwiseSearchOptions } from './grouping/pairwiseSearch.js';
export { pairwiseLowerBound } from './grouping/pairwiseBound.js';
export type { PairwiseModel, SingleOption } from './grouping/pairwiseModel.js';
export { selectTag, tagGroupScore, tagModel, type AffinityTable, type TagOptions, type TagSelection } from './grouping/taskAffinityGrouping.js';
export { randomGrouping, type RandomGroupingOptions } from './grouping/randomGrouping.js';
export { AffinityRecorder, summarizeAffinity, type AffinityRecord, type AffinityMeasurement, type AffinityRecorderOptions } from './grouping/affinityRecorder.js';
export { runAffinity, readAffinity, type AffinityRun, type AffinityRunOptions } from './grouping/runAffinity.js';
export { formatAffinity } from './grouping/formatAffinity.js';
export { candidateExperiment, halfSizeEncoder } from './grouping/candidateExperiment.js';
export { sequentialTrials, readCandidateOutcome, type CandidateTrial, type CandidateOutcome, type TrainCandidates } from './grouping/candidateTrials.js';
export { runGrouping, readGroupingResults, GROUPING_METHODS, type GroupingMethod, type GroupingOptions, type GroupingResult } from './grouping/runGrouping.js';
export { formatGrouping } from './grouping/formatGrouping.js';
export {
  analyseTransfer,
  formatTransferReport,
  findTransfer,
  fewestCompatibleGroups,
  type TransferReport,
  type TransferFinding,
  type TransferOptions,
  type TransferEvidence,
} from './grouping/negativeTransfer.js';
export type { StepContext } from './training/fit.js';

// Types the exports above refer to (options, results, records), so that users can name them.
export type { AdaSharePhase } from './architectures/adashare.js';
export { ADASHARE_SCHEDULE_KEYS, type AdaShareSchedule } from './training/adashareTraining.js';
export type { AffinityMatrices } from './grouping/affinityRecorder.js';
export type { BaselineComparison } from './grouping/negativeTransfer.js';
export type { BuildArchitectureArgs } from './architectures/registry.js';
export type { CheckLabelsOptions } from './tasks/checkLabels.js';
export type { CheckpointContents, CheckpointSummary } from './training/checkpoint.js';
export type { CrossStitchLayerArgs, StitchedMultiTaskModel, StitchWeights } from './architectures/crossStitch.js';
export type { ArchitectureOptions } from './architectures/options.js';
export type { CsvPlan, SplitCode } from './data/csvScan.js';
export type { DescribeOverride } from './trials/overrides.js';
export type { DivergenceKind } from './training/divergence.js';
export type { ExperimentData } from './experiment/loadData.js';
export type { GroupedTask, PhaseCost } from './grouping/runGrouping.js';
export type { MeanStd } from './evaluation/meanStd.js';
export type { MemoryPart } from './experiment/memoryEstimate.js';
export type { MetricAccumulator } from './tasks/task.js';
export type { OptimizerSnapshot } from './training/optimizers/optimizer.js';
export type { PairwiseBoundOptions } from './grouping/pairwiseBound.js';
export type { RowFailure } from './sweep/sweepTable.js';
export type { RunOptions } from './experiment/runExperiment.js';
export type { BackendName, BackendPreference, SelectBackendOptions, SelectedBackend } from './backend/selectBackend.js';
export type { SettingChange } from './training/settingChanges.js';
export type { StaticWeightingOptions } from './weighting/static.js';
export type { SweepConfiguration } from './sweep/sweepPlan.js';
