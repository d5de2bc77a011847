/** Preprocessing of tabular data: fitted transforms as plain JSON, the same code in Node and the browser. */
export { DEFAULT_NA_VALUES, missingValueTest, isMissingValue } from './missingValues.js';
export { parseNumberCell } from './numberCell.js';
export { RunningMoments } from './runningMoments.js';
export { SampleMedian } from './sampleMedian.js';
export { CategoryCounts } from './categoryCounts.js';
export {
  featureEncoder,
  encodedFeatureNames,
  encodedWidth,
  inputColumns,
  checkPreprocessorJson,
  MISSING_SUFFIX,
  type PreprocessorJson,
  type FeatureTransform,
  type NumericFeature,
  type CategoricalFeature,
  type TargetTransform,
  type FeatureEncoder,
} from './preprocessor.js';
export { PreprocessorFitter, standardizes, type PreprocessingOptions, type FeatureColumn } from './fitPreprocessor.js';
