/** Data: the in-memory multi-task data set and the loaders and generators that fill it. */
export { ArrayDataset, disposeBatch, type Batch, type BatchOptions, type Features, type TaskLabels } from './dataset.js';
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
export { FOOTWEAR_CLASSES, MULTI_MNIST_ATTRIBUTE_TASKS, UPPER_BODY_CLASSES, withAttributeTasks } from './multiMnistAttributes.js';
export { clusterTaskNames, syntheticClusters, type SyntheticClustersArgs } from './syntheticClusters.js';
export { parseCsv, type CsvTable } from './csvParse.js';
export {
  loadCsvDataset,
  type CsvData,
  type CsvDatasetArgs,
  type CsvTarget,
  type CsvTargetKind,
  type Standardization,
} from './csv.js';
export {
  CAGRAD_TOY_STARTS,
  cagradToy,
  gradNormRegression,
  mmoeSynthetic,
  type GradNormRegressionArgs,
  type MmoeSyntheticArgs,
} from './synthetic.js';
