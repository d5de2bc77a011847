/**
 * The fields a trial folder names by their last segment alone (`weighting.method` →
 * `method-pcgrad`, `training.epochs` → `epochs-10`): a fixed table, so that the folder
 * names of finished sweeps never change when the experiment schema grows.
 *
 * Until this table, the short names were worked out from the whole schema (a field was
 * short when no other field anywhere had its last segment), so adding a key anywhere
 * renamed folders: the `grouping` block's `method` and `seed` had turned `method-pcgrad`
 * into `weighting.method-pcgrad`, and finished sweeps would have been trained again. The
 * table holds exactly the fields that rule made short before it was frozen, less the
 * blocks that are not trial fields (`sweep`, `grouping`, the resume record `overrides`),
 * so every folder name a sweep wrote stays the same.
 *
 * A field not listed (every field added later, a `grouping` field, the ambiguous `type`,
 * `hidden`, `dropout`, `name`, anything under an `options` record) is named by its whole
 * path: `model.encoder.type-resnet`. Adding a field here is a deliberate choice: do it
 * only for a new field no finished sweep can have used (one that did not exist) and with
 * a short name no other entry has (test/trials/trialNames.test.ts checks the table
 * against the schema). Never remove or change an entry: that renames existing folders.
 *
 * Patterns are dotted paths; `*` stands for one task (by name or index) in `tasks`.
 */
export const SHORT_FIELD_NAMES: readonly string[] = [
  // data
  'data.source', 'data.trainSize', 'data.testSize', 'data.mnistDir', 'data.fashionDir',
  'data.validationFraction', 'data.derivedTasks', 'data.path', 'data.testPath', 'data.testFraction',
  'data.features', 'data.standardize', 'data.delimiter', 'data.naValues', 'data.categorical', 'data.impute',
  'data.impute.numbers', 'data.impute.categories', 'data.missingIndicators', 'data.maxCategories',
  'data.stratify', 'data.stream', 'data.shuffleBuffer', 'data.sigmas', 'data.correlation',
  'data.sinusoidParams', 'data.clusters', 'data.inputDim', 'data.relatedness', 'data.clusterSimilarity',
  'data.noiseStd',
  // tasks (one task's field)
  'tasks.*.kind', 'tasks.*.classes', 'tasks.*.outputs', 'tasks.*.head', 'tasks.*.metrics',
  'tasks.*.deltaMetrics', 'tasks.*.columns',
  // model
  'model.architecture', 'model.encoder', 'model.encoder.activation', 'model.encoder.widthScale',
  'model.encoder.width', 'model.encoder.stages', 'model.encoder.blocksPerStage',
  // weighting
  'weighting.method', 'weighting.gradientMode',
  // training
  'training.epochs', 'training.batchSize', 'training.optimizer', 'training.optimizer.learningRate',
  'training.optimizer.beta1', 'training.optimizer.beta2', 'training.optimizer.epsilon',
  'training.optimizer.momentum', 'training.optimizer.nesterov', 'training.optimizer.weightDecay',
  'training.schedule', 'training.schedule.stepEpochs', 'training.schedule.gamma',
  'training.schedule.minLearningRate', 'training.schedule.warmupEpochs', 'training.clipNorm',
  'training.earlyStopping', 'training.earlyStopping.metric', 'training.earlyStopping.patience',
  'training.earlyStopping.minDelta', 'training.earlyStopping.restoreBest', 'training.checkpointEverySteps',
  'training.diagnosticsEvery', 'training.batchNormRecalibration',
];

const patterns = SHORT_FIELD_NAMES.map((p) => p.split('.'));

/** Whether an override key (`weighting.method`, `tasks.left.kind`) is a field of {@link SHORT_FIELD_NAMES}. */
export function hasShortName(key: string): boolean {
  const segments = key.split('.');
  return patterns.some((p) => p.length === segments.length && p.every((s, i) => s === '*' || s === segments[i]));
}
