import { MtlError } from '../errors.js';
import type { ArrayDataset } from '../data/dataset.js';
import { loadCsvDataset } from '../data/csv.js';
import { multiMnistSplits } from '../data/multiMnist.js';
import { withAttributeTasks } from '../data/multiMnistAttributes.js';
import { gradNormRegression, mmoeSynthetic } from '../data/synthetic.js';
import { syntheticClusters } from '../data/syntheticClusters.js';
import { Random } from '../training/random.js';
import type { ExperimentConfig } from './config.js';

/** The splits of an experiment's data. `validation` is carved from the training data when asked for. */
export interface ExperimentData {
  train: ArrayDataset;
  validation?: ArrayDataset;
  test: ArrayDataset;
  /** For multiclass tasks, the number of classes the data has (to check head widths). */
  classCounts: Record<string, number>;
}

/** Load the data an experiment names, split it, and check it against the tasks. */
export function loadExperimentData(config: ExperimentConfig, source = 'experiment'): ExperimentData {
  const d = config.data;
  let train: ArrayDataset;
  let test: ArrayDataset;
  const classCounts: Record<string, number> = {};
  switch (d.source) {
    case 'multimnist':
    case 'multifashion':
    case 'multi-fashion-mnist': {
      const kind = d.source === 'multimnist' ? 'mnist' : d.source === 'multifashion' ? 'fashion' : 'fashion+mnist';
      ({ train, test } = multiMnistSplits({
        source: kind,
        seed: config.seed,
        ...(d.trainSize ? { trainSize: d.trainSize } : {}),
        ...(d.testSize ? { testSize: d.testSize } : {}),
        ...(d.mnistDir ? { mnistDir: d.mnistDir } : {}),
        ...(d.fashionDir ? { fashionDir: d.fashionDir } : {}),
      }));
      if (d.derivedTasks) {
        train = withAttributeTasks(train);
        test = withAttributeTasks(test);
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
      const loaded = renameTargets(() => loadCsvDataset(d.path, { features: d.features ?? 'rest', targets, standardize: d.standardize ?? false }));
      for (const [name, classes] of Object.entries(loaded.classes)) classCounts[name] = classes.length;
      if (d.testPath) {
        train = loaded.dataset;
        const testPath = d.testPath;
        test = renameTargets(() =>
          loadCsvDataset(testPath, { features: loaded.featureNames, targets, standardize: loaded.standardization ?? false }),
        ).dataset;
      } else {
        const fraction = d.testFraction ?? 0.2;
        [train, test] = split(loaded.dataset, fraction, config.seed, 'test');
      }
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
  let validation: ArrayDataset | undefined;
  if (d.validationFraction) [train, validation] = split(train, d.validationFraction, config.seed, 'validation');
  return { train, test, classCounts, ...(validation ? { validation } : {}) };
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

function checkTasksAgainstData(config: ExperimentConfig, train: ArrayDataset, classCounts: Record<string, number>, source: string): void {
  const available = train.taskNames;
  config.tasks.forEach((t, i) => {
    const labels = train.targets[t.name];
    if (!labels) {
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
      if (width !== labels.width) {
        throw new MtlError({
          code: 'config.head_width_mismatch',
          path: `${source}: tasks[${i}].outputs`,
          expected: `${labels.width} (task "${t.name}" has ${labels.width} label columns in the data)`,
          found: String(width),
          fix: `set outputs: ${labels.width}`,
        });
      }
    }
  });
}

/** Features must be finite numbers. */
function checkFeatures(data: ArrayDataset): void {
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
