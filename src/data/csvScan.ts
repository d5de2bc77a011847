import { MtlError, closest } from '../errors.js';
import { PreprocessorFitter, type FeatureColumn, type PreprocessingOptions } from '../preprocessing/fitPreprocessor.js';
import { DEFAULT_NA_VALUES, missingValueTest } from '../preprocessing/missingValues.js';
import { parseNumberCell } from '../preprocessing/numberCell.js';
import type { PreprocessorJson, TargetTransform } from '../preprocessing/preprocessor.js';
import { resolveCsvLayout, type CsvLayout, type CsvTarget } from './csvColumns.js';
import { LabelReader } from './csvLabels.js';
import type { CsvSource } from './csvSource.js';

/**
 * The first passes over a CSV file: the schema pass ({@link scanCsv}: label checks and
 * class names, which feature columns are numeric and which categorical, the strata of
 * a stratified split) and the fitting pass ({@link fitCsvPreprocessing}: the
 * preprocessing fitted on the training rows only, and the label counts of every part).
 */

/** Where each row of a file goes: training, test or validation part. */
export const SPLIT = { train: 0, test: 1, validation: 2 } as const;
/** A row's part: 0 train, 1 test, 2 validation. */
export type SplitCode = (typeof SPLIT)[keyof typeof SPLIT];

/** What a CSV file's columns are, learned from one pass over it. */
export interface CsvPlan {
  source: CsvSource;
  layout: CsvLayout;
  /** One per target, in order; they decode the label cells. */
  readers: LabelReader[];
  /** The feature columns and how each is read. */
  featureColumns: FeatureColumn[];
  /** Data rows in the file. */
  rows: number;
  /** Per row, a stratum id from the joint labels of the stratifying tasks; null when not stratifying. */
  strata: Int32Array | null;
  /** Per target, what its labels are (class names). */
  targets: TargetTransform[];
}

/** Options of the schema pass. */
export interface CsvScanOptions {
  features: string[] | 'rest';
  targets: CsvTarget[];
  /** Columns read as categorical whatever they hold. */
  categorical?: string[];
  naValues?: string[];
  /** The file's role, for messages (`training`, `test`). @defaultValue 'training' */
  role?: string;
  /** What defines the strata: classification targets (their label columns) or columns of the file, by name. */
  stratifyBy?: string[];
  /** Label descriptions already fitted (a test file read like its training file): class names are taken from them. */
  knownTargets?: readonly TargetTransform[];
  /** Feature columns already typed (a test file): no detection. */
  knownFeatures?: readonly FeatureColumn[];
}

/**
 * The schema pass: every label cell is checked (so a bad label is reported before any
 * training) and class names are learned; each feature column is typed: declared
 * categorical, numeric when every non-missing cell is a number, categorical when most
 * are not; a column of mostly numbers with a few other cells is numeric, and the first
 * of those cells is reported (a typo, or a missing-value marker to add to `naValues`).
 *
 * @throws MtlError `data.empty` for a file without data rows, `data.bad_feature`
 *   for a stray cell in a numeric column, and those of {@link resolveCsvLayout} and the
 *   label readers.
 */
export function scanCsv(source: CsvSource, options: CsvScanOptions): CsvPlan {
  const { header } = source;
  const layout = resolveCsvLayout(header, options.knownFeatures ? options.knownFeatures.map((f) => f.column) : options.features, options.targets, source.source, options.categorical);
  const isMissing = missingValueTest(options.naValues ?? DEFAULT_NA_VALUES);
  const readers = options.targets.map((t, i) => {
    const known = options.knownTargets?.find((k) => k.task === t.name);
    const target = known?.classes && t.kind === 'multiclass' ? { ...t, classes: known.classes } : t;
    return new LabelReader(target, layout.targetColumns[i]!, header, source.source, isMissing);
  });
  // The strata are the raw cells of the stratifying columns (a classification task's
  // label column, or any column of the file named directly), so the split does not depend
  // on which tasks an experiment reads: a task subset (a single-task baseline, a grouping
  // candidate) stratified by the same columns gets the same rows.
  const stratifyColumns = (options.stratifyBy ?? []).flatMap((name) => {
    const i = options.targets.findIndex((t) => t.name === name);
    if (i >= 0) {
      if (options.targets[i]!.kind !== 'binary' && options.targets[i]!.kind !== 'multiclass') {
        throw new MtlError({
          code: 'data.bad_stratify',
          path: `${source.source}: stratify`,
          expected: 'binary or multiclass tasks, or columns of the file',
          found: `the ${options.targets[i]!.kind} task ${JSON.stringify(name)}`,
          fix: 'stratify by classification tasks only',
        });
      }
      return layout.targetColumns[i]!;
    }
    const column = header.indexOf(name);
    if (column < 0) {
      const near = closest(name, [...options.targets.map((t) => t.name), ...header]);
      throw new MtlError({
        code: 'data.bad_stratify',
        path: `${source.source}: stratify`,
        expected: `classification tasks [${options.targets.filter((t) => t.kind === 'binary' || t.kind === 'multiclass').map((t) => t.name).join(', ')}] or columns of the file`,
        found: JSON.stringify(name),
        fix: near ? `did you mean "${near}"?` : 'name a classification task or a column',
      });
    }
    return [column];
  });
  const nf = layout.featureColumns.length;
  const numeric = new Float64Array(nf);
  const other = new Float64Array(nf);
  const firstOther: ({ line: number; cell: string } | undefined)[] = new Array(nf);
  const strataIds = new Map<string, number>();
  let strata: Int32Array | null = stratifyColumns.length > 0 ? new Int32Array(1024) : null;
  const detect = !options.knownFeatures;
  let rows = 0;
  for (const { fields, line } of source.records()) {
    if (detect) {
      for (let k = 0; k < nf; k++) {
        const cell = fields[layout.featureColumns[k]!]!;
        if (isMissing(cell)) continue;
        if (Number.isFinite(parseNumberCell(cell))) numeric[k]!++;
        else {
          if (other[k] === 0) firstOther[k] = { line, cell };
          other[k]!++;
        }
      }
    }
    for (let i = 0; i < readers.length; i++) readers[i]!.observe(fields, line);
    let key = '';
    for (const c of stratifyColumns) {
      const cell = fields[c]!.trim();
      key += (isMissing(cell) ? '\u0001' : cell) + '\u0000';
    }
    if (strata) {
      if (rows === strata.length) {
        const grown = new Int32Array(strata.length * 2);
        grown.set(strata);
        strata = grown;
      }
      let id = strataIds.get(key);
      if (id === undefined) strataIds.set(key, (id = strataIds.size));
      strata[rows] = id;
    }
    rows++;
  }
  if (rows === 0) {
    throw new MtlError({ code: 'data.empty', path: source.source, expected: `at least one ${options.role ?? 'training'} example: data rows after the header`, found: 'a header only', fix: 'check the file' });
  }
  const declared = new Set(options.categorical ?? []);
  const featureColumns: FeatureColumn[] =
    options.knownFeatures?.map((f) => ({ ...f })) ??
    layout.features.map((column, k) => {
      if (declared.has(column) || (other[k]! > numeric[k]! && other[k]! > 0)) return { column, kind: 'categorical' as const };
      if (other[k]! > 0) {
        const first = firstOther[k]!;
        throw new MtlError({
          code: 'data.bad_feature',
          path: `${source.source}: row ${first.line}, column "${column}"`,
          expected: `a number: column "${column}" is numeric (${numeric[k]} of its ${numeric[k]! + other[k]!} filled cells are numbers)`,
          found: `${JSON.stringify(first.cell)}${other[k]! > 1 ? ` (and ${other[k]! - 1} more cells that are not numbers)` : ''}`,
          fix: `correct the cell; if it marks a missing value, add it to naValues; if the column holds categories, declare it: categorical: ["${column}"]`,
        });
      }
      return { column, kind: 'numeric' as const };
    });
  return {
    source,
    layout,
    readers,
    featureColumns,
    rows,
    strata: strata ? strata.subarray(0, rows) : null,
    targets: readers.map((r) => r.finish()),
  };
}

/** Per part (train, test, validation): its row count and the labelled rows per task. */
export interface SplitCounts {
  rows: [number, number, number];
  labelled: [number[], number[], number[]];
}

/**
 * The fitting pass: the preprocessing fitted on the training rows only (rows whose
 * `assignment` is {@link SPLIT.train}; every row when `assignment` is null), and every
 * part's row and label counts. With `fitted`, nothing is fitted (a test file read with
 * its training file's preprocessing); only the counts are taken.
 */
export function fitCsvPreprocessing(
  plan: CsvPlan,
  assignment: Uint8Array | null,
  options: PreprocessingOptions,
  fitted?: PreprocessorJson,
): { preprocessor: PreprocessorJson; counts: SplitCounts } {
  try {
    return fitPass(plan, assignment, options, fitted);
  } catch (error) {
    // The fitter names columns; the file is named here.
    const source = plan.source.source;
    if (error instanceof MtlError && !error.path.startsWith(source)) {
      throw new MtlError({ code: error.code, path: `${source}: ${error.path}`, expected: error.expected, found: error.found, ...(error.fix ? { fix: error.fix } : {}) });
    }
    throw error;
  }
}

function fitPass(
  plan: CsvPlan,
  assignment: Uint8Array | null,
  options: PreprocessingOptions,
  fitted?: PreprocessorJson,
): { preprocessor: PreprocessorJson; counts: SplitCounts } {
  const fitter = fitted ? null : new PreprocessorFitter(plan.featureColumns, plan.targets, options);
  const { featureColumns } = plan.layout;
  const values = new Array<string>(featureColumns.length);
  const regression = plan.readers.map((r) => (r.target.kind === 'regression' ? new Float32Array(r.width) : null));
  const tasks = plan.readers.length;
  const counts: SplitCounts = { rows: [0, 0, 0], labelled: [new Array(tasks).fill(0), new Array(tasks).fill(0), new Array(tasks).fill(0)] };
  const scratch = new Float32Array(Math.max(1, ...plan.readers.map((r) => r.width)));
  let i = 0;
  for (const { fields, line } of plan.source.records()) {
    const part = assignment ? (assignment[i]! as SplitCode) : SPLIT.train;
    i++;
    counts.rows[part]++;
    const train = part === SPLIT.train && fitter;
    if (train) {
      for (let k = 0; k < featureColumns.length; k++) values[k] = fields[featureColumns[k]!]!;
      fitter.addFeatures(values, () => `${plan.source.source}: row ${line}`);
    }
    plan.readers.forEach((r, t) => {
      const out = regression[t] ?? scratch;
      if (r.decode(fields, line, out, 0)) {
        counts.labelled[part][t]!++;
        if (train && regression[t]) fitter.addTarget(t, out);
      }
    });
  }
  return { preprocessor: fitted ?? fitter!.finish(), counts };
}
