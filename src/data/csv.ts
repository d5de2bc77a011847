import { getHeapStatistics } from 'node:v8';
import { MtlError } from '../errors.js';
import type { PreprocessingOptions } from '../preprocessing/fitPreprocessor.js';
import { encodedFeatureNames, inputColumns, type PreprocessorJson } from '../preprocessing/preprocessor.js';
import { Random } from '../random/random.js';
import type { CsvTarget } from './csvColumns.js';
import { encodeCsvPart } from './csvEncode.js';
import type { CsvDelimiter } from './csvParse.js';
import { fitCsvPreprocessing, scanCsv, SPLIT, type CsvPlan, type SplitCode, type SplitCounts } from './csvScan.js';
import { openCsv, type CsvInput } from './csvSource.js';
import { CsvStreamingDataset } from './csvStreamingDataset.js';
import type { ArrayDataset, Dataset } from './dataset.js';
import { chooseHeldOut } from './split.js';

/**
 * CSV files as multi-task tabular data: columns to features (numeric or categorical,
 * missing values imputed) and to labelled (or missing) targets, with the preprocessing
 * fitted on the training rows only. Files are read in chunks, a few passes each, so
 * even a file larger than memory loads (as a streaming data set).
 */

export type { CsvTarget, CsvTargetKind } from './csvColumns.js';

/** How a CSV file is read: its columns, delimiter, missing values and preprocessing. */
export interface CsvReadArgs extends PreprocessingOptions {
  /** Feature columns, or `'rest'` for every column that is not a target. */
  features: string[] | 'rest';
  targets: CsvTarget[];
  /** Field delimiter, or `auto` to detect comma, semicolon or tab from the file's start. @defaultValue 'auto' */
  delimiter?: CsvDelimiter | 'auto';
  /**
   * Feature columns read as categories whatever they hold (e.g. numeric codes).
   * Columns whose cells are mostly not numbers are categorical without being listed.
   */
  categorical?: string[];
}

/** Options of {@link loadCsvDataset}. */
export interface CsvDatasetArgs extends CsvReadArgs {
  /**
   * Apply this fitted preprocessing (e.g. the training set's, to a test set) instead of
   * fitting one on this file; its input columns are the features read.
   */
  preprocessor?: PreprocessorJson;
}

/** What {@link loadCsvDataset} returns. */
export interface CsvData {
  dataset: ArrayDataset;
  /** The model inputs' names, in order (`age`, `color=red`, `age:missing`, ...). */
  featureNames: string[];
  /** The input columns read, in order. */
  columns: string[];
  /** The preprocessing applied (fitted on this file unless one was given). */
  preprocessor: PreprocessorJson;
  /** For each multiclass task, the class names in index order. */
  classes: Record<string, string[]>;
}

/**
 * Load a multi-task tabular data set from a CSV file (`input` is a path) or from CSV
 * text (`input` is `{ text, name? }`), every row in one in-memory data set, with the
 * preprocessing fitted on this file (or the one given). To hold out a test set with
 * preprocessing fitted on the training rows only, use {@link loadCsvSplits}, or
 * {@link trainTestSplit} before fitting.
 *
 * Cells: a missing value (`naValues`: empty, NA, NaN, null, N/A) in a target column is
 * a missing label (mask 0); in a feature column it is imputed. Binary labels accept
 * 0/1, true/false and yes/no (any case). Error paths read like `data.csv: row 17,
 * column "age"`, where the row is the file's line number.
 *
 * @throws MtlError with codes `data.csv_unknown_column` (with the available columns and
 *   a did-you-mean), `data.bad_feature` (a numeric column holding something else),
 *   `data.csv_bad_label`, `data.csv_unknown_class`, `data.csv_partial_label` (a
 *   multi-column task with only some cells missing), `data.csv_target` (a bad target
 *   definition), `data.file_missing`, and those of `parseCsv`.
 * @example
 * ```ts
 * const { dataset, preprocessor } = loadCsvDataset(
 *   { text: 'age,city,income,smoker\n30,paris,1.5,yes\n40,berlin,NA,no\n' },
 *   { features: ['age', 'city'], targets: [
 *       { name: 'income', kind: 'regression', columns: ['income'] },
 *       { name: 'smoker', kind: 'binary', columns: ['smoker'] }],
 *     standardize: true },
 * );
 * // dataset.labelCounts() = { income: 1, smoker: 2 }; inputs: age, city=berlin, city=paris
 * ```
 */
export function loadCsvDataset(input: CsvInput, args: CsvDatasetArgs): CsvData {
  const source = openCsv(input, { delimiter: args.delimiter ?? 'auto' });
  const fitted = args.preprocessor;
  const plan = scanCsv(source, {
    features: fitted ? inputColumns(fitted) : args.features,
    targets: args.targets,
    ...(args.categorical ? { categorical: args.categorical } : {}),
    naValues: fitted?.naValues ?? args.naValues,
    ...(fitted ? { knownTargets: fitted.targets, knownFeatures: fitted.features.map((f) => ({ column: f.column, kind: f.kind })) } : {}),
  });
  const { preprocessor, counts } = fitCsvPreprocessing(plan, null, args, fitted);
  const dataset = encodeCsvPart(plan, preprocessor, null, SPLIT.train, counts.rows[SPLIT.train], source.source);
  return { dataset, featureNames: encodedFeatureNames(preprocessor), columns: inputColumns(preprocessor), preprocessor, classes: classNames(plan) };
}

/** Options of {@link loadCsvSplits}. */
export interface CsvSplitsArgs extends CsvReadArgs {
  /** Seed of the splits. */
  seed: number;
  /** Fraction of the rows held out as the test part (unless `testPath`). @defaultValue 0.2 */
  testFraction?: number;
  /** A separate test file (same columns); then the whole of `input` is for training. */
  testPath?: CsvInput;
  /** Fraction of the training rows held out for validation (early stopping, model selection). */
  validationFraction?: number;
  /**
   * Stratify the splits by these tasks' labels (jointly), or `false` for plain random
   * splits. @defaultValue every binary and multiclass task
   */
  stratifyBy?: string[] | false;
  /**
   * `true`: never load the file into memory, read it in chunks on every pass
   * ({@link CsvStreamingDataset}); `false`: encode every part into memory; `auto`:
   * stream when the file is larger than 1/16 of the JavaScript heap limit.
   * @defaultValue 'auto'
   */
  stream?: boolean | 'auto';
  /** Rows of the streaming shuffle buffer. @defaultValue 10,000 */
  shuffleBuffer?: number;
  /** Bytes read per chunk. @defaultValue 64 KiB */
  chunkBytes?: number;
}

/** What {@link loadCsvSplits} returns. */
export interface CsvSplits {
  train: Dataset;
  validation?: Dataset;
  test: Dataset;
  /** The preprocessing, fitted on the training part only. */
  preprocessor: PreprocessorJson;
  /** The model inputs' names, in order. */
  featureNames: string[];
  /** For each multiclass task, the class names in index order. */
  classes: Record<string, string[]>;
  /** Whether the parts stream from the file. */
  streaming: boolean;
}

/**
 * Load a CSV file split into training, test (and validation) parts, with the
 * preprocessing fitted on the training part only (no test statistics leak into
 * training): a schema pass (label checks, column types, strata), the split (seeded,
 * stratified by the classification tasks' labels by default), a fitting pass over the
 * training rows, then either one encoding pass per part into memory or, for files
 * larger than memory, streaming data sets that read the file on every pass.
 *
 * @example
 * ```ts
 * const { train, test, preprocessor } = loadCsvSplits('customers.csv', {
 *   features: 'rest',
 *   targets: [{ name: 'churn', kind: 'binary', columns: ['churned'] }],
 *   standardize: true, testFraction: 0.2, seed: 0,
 * });
 * ```
 */
export function loadCsvSplits(input: CsvInput, args: CsvSplitsArgs): CsvSplits {
  const source = openCsv(input, { delimiter: args.delimiter ?? 'auto', ...(args.chunkBytes ? { chunkBytes: args.chunkBytes } : {}) });
  const stratifyBy =
    args.stratifyBy === false ? [] : (args.stratifyBy ?? args.targets.filter((t) => t.kind === 'binary' || t.kind === 'multiclass').map((t) => t.name));
  const plan = scanCsv(source, {
    features: args.features,
    targets: args.targets,
    ...(args.categorical ? { categorical: args.categorical } : {}),
    ...(args.naValues ? { naValues: args.naValues } : {}),
    stratifyBy,
  });
  const assignment = new Uint8Array(plan.rows);
  const all = Int32Array.from({ length: plan.rows }, (_, i) => i);
  if (!args.testPath) {
    const test = chooseHeldOut(all, plan.strata, args.testFraction ?? 0.2, new Random(`${args.seed}:split:test`), `${source.source}: testFraction`);
    for (const i of test) assignment[i] = SPLIT.test;
  }
  if (args.validationFraction) {
    const train = all.filter((i) => assignment[i] === SPLIT.train);
    const validation = chooseHeldOut(train, plan.strata, args.validationFraction, new Random(`${args.seed}:split:validation`), `${source.source}: validationFraction`);
    for (const i of validation) assignment[i] = SPLIT.validation;
  }
  plan.strata = null;
  const { preprocessor, counts } = fitCsvPreprocessing(plan, assignment, args);
  const streaming = args.stream === true || ((args.stream ?? 'auto') === 'auto' && source.bytes > getHeapStatistics().heap_size_limit / 16);
  const make = (p: CsvPlan, part: SplitCode, partCounts: SplitCounts, a: Uint8Array | null, name: string): Dataset => {
    const size = partCounts.rows[part];
    if (!streaming) return encodeCsvPart(p, preprocessor, a, part, size, name);
    const labelled = Object.fromEntries(p.readers.map((r, t) => [r.target.name, partCounts.labelled[part][t]!]));
    return new CsvStreamingDataset({
      plan: p,
      preprocessor,
      assignment: a,
      part,
      size,
      labelled,
      source: name,
      ...(args.shuffleBuffer ? { shuffleBuffer: args.shuffleBuffer } : {}),
    });
  };
  const train = make(plan, SPLIT.train, counts, assignment, `${source.source} (train part)`);
  const validation = args.validationFraction ? make(plan, SPLIT.validation, counts, assignment, `${source.source} (validation part)`) : undefined;
  let test: Dataset;
  if (args.testPath) {
    const testSource = openCsv(args.testPath, { delimiter: args.delimiter ?? 'auto', ...(args.chunkBytes ? { chunkBytes: args.chunkBytes } : {}) });
    const testPlan = scanCsv(testSource, {
      role: 'test',
      features: plan.layout.features,
      targets: args.targets,
      naValues: preprocessor.naValues,
      knownTargets: plan.targets,
      knownFeatures: plan.featureColumns,
    });
    const testCounts = fitCsvPreprocessing(testPlan, null, args, preprocessor).counts;
    test = make(testPlan, SPLIT.train, testCounts, null, testSource.source);
  } else {
    test = make(plan, SPLIT.test, counts, assignment, `${source.source} (test part)`);
  }
  if (train.size === 0) {
    throw new MtlError({ code: 'config.bad_split', path: `${source.source}: validationFraction`, expected: 'training rows left after the splits', found: 'none', fix: 'lower testFraction or validationFraction' });
  }
  return {
    train,
    ...(validation ? { validation } : {}),
    test,
    preprocessor,
    featureNames: encodedFeatureNames(preprocessor),
    classes: classNames(plan),
    streaming,
  };
}

function classNames(plan: CsvPlan): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of plan.targets) if (t.kind === 'multiclass') out[t.task] = [...t.classes!];
  return out;
}
