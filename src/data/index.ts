/** Data: the in-memory multi-task data set and the loaders and generators that fill it. */
export { ArrayDataset, disposeBatch, type Batch, type BatchOptions, type Dataset, type Features, type TaskLabels } from './dataset.js';
export {
  IDX_DTYPES,
  isGzip,
  loadIdxImagesAndLabels,
  parseIdx,
  readIdxFile,
  type IdxArray,
  type IdxData,
  type IdxDtype,
  type ImageSet,
} from './idx.js';
export { imageClassificationDataset, loadMnistDigits, loadMnistIdx, MNIST_IDX_FILES, selectImages } from './mnist.js';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR,
  FASHION_MNIST_DIR_ENV,
  fashionMnistDir,
  loadFashionMnist,
} from './fashionMnist.js';
export {
  MNIST_DIGITS_TRAIN_SIZE,
  multiMnist,
  multiMnistSplits,
  overlayPair,
  type MultiMnistArgs,
  type MultiMnistSplitsArgs,
} from './multiMnist.js';
export { parseCsv, detectDelimiter, CsvRecordParser, CSV_DELIMITERS, type CsvTable, type CsvDelimiter, type CsvRecord, type CsvParseOptions } from './csvParse.js';
export { openCsv, type CsvInput, type CsvSource, type CsvSourceOptions } from './csvSource.js';
export { FOOTWEAR_CLASSES, MULTI_MNIST_ATTRIBUTE_TASKS, UPPER_BODY_CLASSES, withAttributeTasks } from './multiMnistAttributes.js';
export { clusterTaskNames, syntheticClusters, type SyntheticClustersArgs } from './syntheticClusters.js';
export {
  loadCsvDataset,
  loadCsvSplits,
  type CsvData,
  type CsvDatasetArgs,
  type CsvReadArgs,
  type CsvSplits,
  type CsvSplitsArgs,
  type CsvTarget,
  type CsvTargetKind,
} from './csv.js';
export { CsvStreamingDataset, type CsvStreamingDatasetArgs } from './csvStreamingDataset.js';
export { trainTestSplit, chooseHeldOut, type TrainTestSplitArgs } from './split.js';
export {
  CAGRAD_TOY_STARTS,
  cagradToy,
  gradNormRegression,
  mmoeSynthetic,
  type GradNormRegressionArgs,
  type MmoeSyntheticArgs,
} from './synthetic.js';
