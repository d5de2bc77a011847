import { MtlError } from '../errors.js';
import { ArrayDataset, type Dataset } from '../data/dataset.js';
import { loadCsvSplits } from '../data/csv.js';
import type { PreprocessorJson } from '../preprocessing/preprocessor.js';
import { multiMnistSplits } from '../data/multiMnist.js';
import { withAttributeTasks } from '../data/multiMnistAttributes.js';
import { gradNormRegression, mmoeSynthetic } from '../data/synthetic.js';
import { syntheticClusters } from '../data/syntheticClusters.js';
import { Random } from '../random/random.js';
import { checkLabels } from '../tasks/checkLabels.js';
import { buildTasks } from './buildExperiment.js';
import type { ExperimentConfig } from './config.js';

/** The splits of an experiment's data. `validation` is carved from the training data when asked for. */
export interface ExperimentData {
  train: Dataset;
  validation?: Dataset;
  test: Dataset;
  /** For multiclass tasks, the number of classes the data has (to check head widths). */
  classCounts: Record<string, number>;
  /** Tabular data: the preprocessing fitted on the training part (saved with the model). */
  preprocessor?: PreprocessorJson;
  /** Whether the parts stream from a file instead of being held in memory. */
  streaming?: boolean;
}

/** Load the data an experiment names, split it, and check it against the tasks. */
export function loadExperimentData(config: ExperimentConfig, source = 'experiment'): ExperimentData {
  const d = config.data;
  let train: Dataset;
  let test: Dataset;
  let validation: Dataset | undefined;
  let preprocessor: PreprocessorJson | undefined;
  let streaming = false;
  const classCounts: Record<string, number> = {};
  switch (d.source) {
    case 'multimnist':
    case 'multifashion':
    case 'multi-fashion-mnist': {
      const kind = d.source === 'multimnist' ? 'mnist' : d.source === 'multifashion' ? 'fashion' : 'fashion+mnist';
      const images = multiMnistSplits({
        source: kind,
        seed: config.seed,
        ...(d.trainSize ? { trainSize: d.trainSize } : {}),
        ...(d.testSize ? { testSize: d.testSize } : {}),
        ...(d.mnistDir ? { mnistDir: d.mnistDir } : {}),
        ...(d.fashionDir ? { fashionDir: d.fashionDir } : {}),
      });
      train = images.train;
      test = images.test;
      if (d.derivedTasks) {
        train = withAttributeTasks(images.train);
        test = withAttributeTasks(images.test);
        classCounts.digit = classCounts.garment = 10;
      } else {
        for (const name of train.taskNames) classCounts[name] = 10;
      }
      break;
    }
    case 'csv': {
      const targets = config.tasks.map((t) => ({
        name: t.name,
        kind: t.kind as 'binary' | 'multiclass' | 'multilabel' | 'regression',
        columns: t.columns!,
        ...(t.classes !== undefined ? { classes: t.classes } : {}),
      }));
      // The loader names targets by position; they are the experiment's tasks in order.
      const loaded = renameTargets(() =>
        loadCsvSplits(d.path, {
          features: d.features ?? 'rest',
          targets,
          seed: config.seed,
          ...(d.testPath ? { testPath: d.testPath } : { testFraction: d.testFraction ?? 0.2 }),
          ...(d.validationFraction ? { validationFraction: d.validationFraction } : {}),
          ...(d.delimiter ? { delimiter: d.delimiter === 'tab' ? '\t' : d.delimiter } : {}),
          ...(d.naValues ? { naValues: d.naValues } : {}),
          ...(d.categorical ? { categorical: d.categorical } : {}),
          ...(d.standardize !== undefined ? { standardize: d.standardize } : {}),
          ...(d.impute ? { impute: d.impute } : {}),
          ...(d.missingIndicators !== undefined ? { missingIndicators: d.missingIndicators } : {}),
          ...(d.maxCategories !== undefined ? { maxCategories: d.maxCategories } : {}),
          ...(d.stratify === false ? { stratifyBy: false as const } : Array.isArray(d.stratify) ? { stratifyBy: d.stratify } : {}),
          ...(d.stream !== undefined ? { stream: d.stream } : {}),
          ...(d.shuffleBuffer ? { shuffleBuffer: d.shuffleBuffer } : {}),
        }),
      );
      for (const [name, classes] of Object.entries(loaded.classes)) classCounts[name] = classes.length;
      ({ train, test, validation, preprocessor, streaming } = loaded);
      break;
    }
    case 'synthetic-gradnorm':
      ({ train, test } = gradNormRegression({
        seed: config.seed,
        ...(d.sigmas ? { sigmas: d.sigmas } : {}),
        ...(d.trainSize ? { trainSize: d.trainSize } : {}),
        ...(d.testSize ? { testSize: d.testSize } : {}),
      }));
      break;
    case 'synthetic-mmoe':
      ({ train, test } = mmoeSynthetic({
        seed: config.seed,
        correlation: d.correlation,
        ...(d.sinusoidParams ? { sinusoidParams: d.sinusoidParams } : {}),
        ...(d.trainSize ? { trainSize: d.trainSize } : {}),
        ...(d.testSize ? { testSize: d.testSize } : {}),
      }));
      break;
    case 'synthetic-clusters':
      ({ train, test } = syntheticClusters({
        seed: config.seed,
        ...(d.clusters ? { clusters: d.clusters } : {}),
        ...(d.inputDim ? { inputDim: d.inputDim } : {}),
        ...(d.relatedness !== undefined ? { relatedness: d.relatedness } : {}),
        ...(d.clusterSimilarity !== undefined ? { clusterSimilarity: d.clusterSimilarity } : {}),
        ...(d.noiseStd !== undefined ? { noiseStd: d.noiseStd } : {}),
        ...(d.trainSize ? { trainSize: d.trainSize } : {}),
        ...(d.testSize ? { testSize: d.testSize } : {}),
      }));
      break;
  }
  checkTasksAgainstData(config, train, classCounts, source);
  checkFeatures(train);
  checkFeatures(test);
  // Every label source (CSV, IDX, MultiMNIST, synthetic) is range-checked against the
  // tasks, and empty training data is an error, before anything trains.
  // CSV data is split before its preprocessing is fitted (loadCsvSplits); the other sources here.
  if (d.validationFraction && d.source !== 'csv') [train, validation] = split(train as ArrayDataset, d.validationFraction, config.seed, 'validation');
  const tasks = buildTasks(config);
  checkLabels(train, tasks, { split: 'training', requireLabels: true });
  checkLabels(test, tasks, { split: 'test', requireExamples: true });
  if (validation) checkLabels(validation, tasks, { split: 'validation', requireExamples: true });
  return { train, test, classCounts, ...(validation ? { validation } : {}), ...(preprocessor ? { preprocessor } : {}), ...(streaming ? { streaming } : {}) };
}

/** Split off `fraction` of the examples (seeded). */
function split(data: ArrayDataset, fraction: number, seed: number, name: string): [ArrayDataset, ArrayDataset] {
  const order = new Random(`${seed}:split:${name}`).permutation(data.size);
  const held = Math.round(data.size * fraction);
  if (held === 0 || held === data.size) {
    throw new MtlError({
      code: 'config.bad_split',
      path: `data.${name === 'test' ? 'testFraction' : 'validationFraction'}`,
      expected: `a fraction leaving both parts non-empty for ${data.size} examples`,
      found: String(fraction),
    });
  }
  const sorted = (a: Int32Array) => Int32Array.from(a).sort();
  return [
    data.subset(sorted(order.subarray(held)), `${data.source} (train part)`),
    data.subset(sorted(order.subarray(0, held)), `${data.source} (${name} part)`),
  ];
}

function checkTasksAgainstData(config: ExperimentConfig, train: Dataset, classCounts: Record<string, number>, source: string): void {
  const available = train.taskNames;
  config.tasks.forEach((t, i) => {
    const labelWidth = train.labelWidth(t.name);
    if (labelWidth === undefined) {
      throw new MtlError({
        code: 'config.unknown_task',
        path: `${source}: tasks[${i}].name`,
        expected: `a task the data "${config.data.source}" provides: one of [${available.join(', ')}]`,
        found: `"${t.name}"`,
        fix: 'name the tasks as the data set does',
      });
    }
    if (t.kind === 'multiclass') {
      const classes = Array.isArray(t.classes) ? t.classes.length : t.classes;
      const dataClasses = classCounts[t.name];
      if (classes === undefined) {
        throw new MtlError({
          code: 'config.missing_field',
          path: `${source}: tasks[${i}].classes`,
          expected: 'the number of classes of a multiclass task',
          found: 'nothing (the field is missing)',
          fix: dataClasses ? `add classes: ${dataClasses}` : 'add classes: <K>',
        });
      }
      if (dataClasses !== undefined && classes !== dataClasses) {
        throw new MtlError({
          code: 'config.head_width_mismatch',
          path: `${source}: tasks[${i}].classes`,
          expected: `${dataClasses} (the data has ${dataClasses} classes for task "${t.name}", so its head needs ${dataClasses} outputs)`,
          found: String(classes),
          fix: `set classes: ${dataClasses}`,
        });
      }
    } else if (t.kind === 'regression' || t.kind === 'multilabel') {
      const width = t.outputs ?? 1;
      if (width !== labelWidth) {
        throw new MtlError({
          code: 'config.head_width_mismatch',
          path: `${source}: tasks[${i}].outputs`,
          expected: `${labelWidth} (task "${t.name}" has ${labelWidth} label columns in the data)`,
          found: String(width),
          fix: `set outputs: ${labelWidth}`,
        });
      }
    }
  });
}

/** Features must be finite numbers (a streaming data set's encoder guarantees it row by row). */
function checkFeatures(data: Dataset): void {
  if (!(data instanceof ArrayDataset)) return;
  const values = data.features.data;
  if (!(values instanceof Float32Array)) return;
  const rowSize = values.length / Math.max(data.size, 1);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new MtlError({
        code: 'data.nan_feature',
        path: `${data.source}: example ${Math.floor(i / rowSize)}, feature ${i % rowSize}`,
        expected: 'a finite number',
        found: String(values[i]),
        fix: 'impute or drop missing feature values before training',
      });
    }
  }
}

/** Report CSV target problems under the experiment's own field names (tasks[i] rather than targets[i]). */
function renameTargets<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof MtlError && error.path.includes('targets[')) {
      throw new MtlError({
        code: error.code,
        path: error.path.replace(/targets\[/g, 'tasks['),
        expected: error.expected,
        found: error.found,
        ...(error.fix ? { fix: error.fix } : {}),
      });
    }
    throw error;
  }
}
