import { readTextFile } from '../io/readFile.js';
import { closest, MtlError } from '../errors.js';
import { ArrayDataset, type TaskLabels } from './dataset.js';
import { parseCsv } from './csvParse.js';
import { parseDecimal } from './decimalNumber.js';

/**
 * CSV files as multi-task tabular data: the mapping of columns to numeric features and
 * to labelled (or missing) targets. Parsing itself is in `csvParse.ts`.
 */

/** The kinds of task a CSV column group can be. */
export type CsvTargetKind = 'binary' | 'multiclass' | 'multilabel' | 'regression';

/** One task read from CSV columns. */
export interface CsvTarget {
  name: string;
  /**
   * `binary` and `multiclass`: exactly one column; `multilabel`: one 0/1 column per
   * label; `regression`: one column per output.
   */
  kind: CsvTargetKind;
  columns: string[];
  /**
   * Multiclass only: the class names in index order (a value not in the list is an
   * error), or the number of classes K when values are integers 0..K−1. When omitted,
   * integer values are used as class indices and any other values are mapped to their
   * index in the sorted list of distinct values.
   */
  classes?: string[] | number;
}

/** Per-feature mean and standard deviation, to standardise a test set like its training set. */
export interface Standardization {
  columns: string[];
  mean: Float32Array;
  std: Float32Array;
}

/** Options of {@link loadCsvDataset}. */
export interface CsvDatasetArgs {
  /** Feature columns, or `'rest'` for every column that is not a target. */
  features: string[] | 'rest';
  targets: CsvTarget[];
  /**
   * `true`: standardise each feature to mean 0, std 1 over this file (population std;
   * a constant column gets std 1). A {@link Standardization} from an earlier call:
   * apply those statistics (for a test set). @defaultValue false
   */
  standardize?: boolean | Standardization;
}

/** What {@link loadCsvDataset} returns. */
export interface CsvData {
  dataset: ArrayDataset;
  featureNames: string[];
  /** The statistics applied, when `standardize` was set. */
  standardization?: Standardization;
  /** For each multiclass task, the class names in index order. */
  classes: Record<string, string[]>;
}

/** Integer class values read without `classes` are indices 0..max; beyond this many classes they are taken for a mistake. */
const MAX_INFERRED_CLASSES = 100_000;

const KIND_NAMES: readonly CsvTargetKind[] = ['binary', 'multiclass', 'multilabel', 'regression'];

/**
 * Load a multi-task tabular data set from a CSV file (`input` is a path) or from CSV
 * text (`input` is `{ text, name? }`). Features must be numbers; an empty cell in a
 * target column means that example has no label for that task (mask 0).
 *
 * Binary cells accept 0/1, true/false and yes/no (any case). Error paths read like
 * `data.csv: row 17, column "age"`, where the row is the file's line number.
 *
 * @throws MtlError with codes `data.csv_unknown_column` (with the available columns and
 *   a did-you-mean), `data.csv_bad_feature` (empty, non-numeric or non-finite feature
 *   cell), `data.csv_bad_label`, `data.csv_unknown_class`, `data.csv_partial_label`
 *   (a multi-column task with only some cells empty), `data.csv_target` (a bad target
 *   definition), and those of {@link parseCsv}.
 * @example
 * ```ts
 * const { dataset, standardization } = loadCsvDataset(
 *   { text: 'age,income,smoker\n30,1.5,yes\n40,,no\n' },
 *   { features: ['age'], targets: [
 *       { name: 'income', kind: 'regression', columns: ['income'] },
 *       { name: 'smoker', kind: 'binary', columns: ['smoker'] }],
 *     standardize: true },
 * );
 * // dataset.labelCounts() = { income: 1, smoker: 2 }
 * ```
 */
export function loadCsvDataset(input: string | { text: string; name?: string }, args: CsvDatasetArgs): CsvData {
  let text: string;
  let source: string;
  if (typeof input === 'string') {
    source = input;
    try {
      // A regular file only: a named pipe would block forever, /dev/zero never end.
      text = readTextFile(input, { what: 'a CSV file' });
    } catch (e) {
      if (e instanceof MtlError && e.code !== 'io.file_missing') throw e;
      throw new MtlError({
        code: 'data.file_missing',
        path: input,
        expected: 'a readable CSV file',
        found: 'no such file',
        fix: 'check the path; to pass CSV content instead of a path, use { text }',
      });
    }
  } else {
    text = input.text;
    source = input.name ?? 'CSV text';
  }
  const table = parseCsv(text, source);
  const { header, rows, lines } = table;
  const columnIndex = (name: string, where: string): number => {
    const k = header.indexOf(name);
    if (k < 0) {
      const guess = closest(name, header);
      throw new MtlError({
        code: 'data.csv_unknown_column',
        path: `${source}: ${where}`,
        expected: `a column of the header [${header.join(', ')}]`,
        found: JSON.stringify(name),
        fix: guess ? `did you mean "${guess}"?` : 'use one of the header names (they are case-sensitive)',
      });
    }
    return k;
  };

  // Targets: validate the definitions before reading any cell.
  const used = new Map<string, string>();
  const taskNames = new Set<string>();
  const targetColumns = args.targets.map((t, ti) => {
    const where = `targets[${ti}]`;
    if (taskNames.has(t.name)) {
      throw new MtlError({ code: 'data.csv_target', path: `${source}: ${where}.name`, expected: 'a unique task name', found: JSON.stringify(t.name) });
    }
    taskNames.add(t.name);
    if (!KIND_NAMES.includes(t.kind)) {
      throw new MtlError({
        code: 'data.csv_target',
        path: `${source}: ${where}.kind`,
        expected: `one of ${KIND_NAMES.join(', ')}`,
        found: JSON.stringify(t.kind),
        ...(closest(String(t.kind), KIND_NAMES) ? { fix: `did you mean "${closest(String(t.kind), KIND_NAMES)}"?` } : {}),
      });
    }
    const single = t.kind === 'binary' || t.kind === 'multiclass';
    if (t.columns.length === 0 || (single && t.columns.length !== 1)) {
      throw new MtlError({
        code: 'data.csv_target',
        path: `${source}: ${where}.columns`,
        expected: single ? `exactly one column for a ${t.kind} task` : 'at least one column',
        found: `${t.columns.length} columns`,
        fix: single ? 'use kind "multilabel" for several 0/1 columns, or one task per column' : undefined,
      });
    }
    if (t.classes !== undefined && t.kind !== 'multiclass') {
      throw new MtlError({
        code: 'data.csv_target',
        path: `${source}: ${where}.classes`,
        expected: 'classes only on a multiclass task',
        found: `classes on a ${t.kind} task`,
        fix: 'remove classes',
      });
    }
    return t.columns.map((c) => {
      const k = columnIndex(c, `${where}.columns`);
      if (used.has(c)) {
        throw new MtlError({
          code: 'data.csv_target',
          path: `${source}: ${where}.columns`,
          expected: 'each column in at most one task',
          found: `column "${c}" also in task ${used.get(c)}`,
        });
      }
      used.set(c, `"${t.name}"`);
      return k;
    });
  });

  const featureNames = args.features === 'rest' ? header.filter((h) => !used.has(h)) : args.features;
  const featureColumns = featureNames.map((f, fi) => {
    const k = columnIndex(f, `features[${fi}]`);
    if (used.has(f)) {
      throw new MtlError({
        code: 'data.csv_target',
        path: `${source}: features[${fi}]`,
        expected: 'features that are not target columns',
        found: `column "${f}", a column of task ${used.get(f)}`,
        fix: 'remove it from features: a label used as an input leaks the answer',
      });
    }
    return k;
  });
  if (featureColumns.length === 0) {
    throw new MtlError({
      code: 'data.csv_target',
      path: `${source}: features`,
      expected: 'at least one feature column',
      found: 'none',
      fix: 'list the input columns in features, or leave some columns out of the targets when using "rest"',
    });
  }

  const n = rows.length;
  const nf = featureColumns.length;
  const cellPath = (r: number, col: number): string => `${source}: row ${lines[r]}, column "${header[col]}"`;

  const x = new Float32Array(n * nf);
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    for (let f = 0; f < nf; f++) {
      const col = featureColumns[f]!;
      const cell = row[col]!.trim();
      const v = parseDecimal(cell);
      if (Number.isNaN(v)) {
        throw new MtlError({
          code: 'data.csv_bad_feature',
          path: cellPath(r, col),
          expected: 'a plain decimal number such as 12, -0.5 or 1.5e-3 (features cannot be missing)',
          found: cell === '' ? 'an empty cell' : `${JSON.stringify(cell)}`,
          fix: 'fill in the value (or impute it), drop the row, or leave the column out of features',
        });
      }
      x[r * nf + f] = v;
    }
  }

  let standardization: Standardization | undefined;
  if (args.standardize) {
    standardization = args.standardize === true ? computeStandardization(x, n, featureNames) : args.standardize;
    if (args.standardize !== true) checkStandardization(args.standardize, featureNames, source);
    const { mean, std } = standardization;
    for (let r = 0; r < n; r++) for (let f = 0; f < nf; f++) x[r * nf + f] = (x[r * nf + f]! - mean[f]!) / std[f]!;
  }

  const targets: Record<string, TaskLabels> = {};
  const classes: Record<string, string[]> = {};
  args.targets.forEach((t, ti) => {
    const cols = targetColumns[ti]!;
    const width = t.kind === 'multiclass' ? 1 : cols.length;
    const values = new Float32Array(n * width);
    const mask = new Uint8Array(n);
    let missing = 0;
    const decode = t.kind === 'multiclass' ? classDecoder(t, rows, cols[0]!, cellPath, classes) : undefined;
    for (let r = 0; r < n; r++) {
      const row = rows[r]!;
      let empty = 0;
      for (const col of cols) if (row[col]!.trim() === '') empty++;
      if (empty === cols.length) {
        missing++;
        continue;
      }
      if (empty > 0) {
        const emptyCols = cols.filter((c) => row[c]!.trim() === '').map((c) => `"${header[c]}"`);
        throw new MtlError({
          code: 'data.csv_partial_label',
          path: `${source}: row ${lines[r]}, task "${t.name}"`,
          expected: `all ${cols.length} columns of the task filled, or all empty (label missing)`,
          found: `empty ${emptyCols.join(', ')} but not the others`,
          fix: 'fill in the empty cells, or empty all of this task\'s cells to mark the label as missing',
        });
      }
      mask[r] = 1;
      cols.forEach((col, k) => {
        const cell = row[col]!.trim();
        let v: number;
        if (t.kind === 'regression') {
          v = parseDecimal(cell);
          if (Number.isNaN(v)) {
            throw new MtlError({
              code: 'data.csv_bad_label',
              path: cellPath(r, col),
              expected: `a plain decimal number (such as 12, -0.5 or 1.5e-3) for regression task "${t.name}", or an empty cell for a missing label`,
              found: JSON.stringify(cell),
              fix: 'correct the value, or empty the cell to mark the label as missing',
            });
          }
        } else if (t.kind === 'multiclass') {
          v = decode!(cell, r);
        } else {
          v = parseBinary(cell);
          if (Number.isNaN(v)) {
            throw new MtlError({
              code: 'data.csv_bad_label',
              path: cellPath(r, col),
              expected: `0/1, true/false or yes/no for ${t.kind} task "${t.name}", or an empty cell for a missing label`,
              found: JSON.stringify(cell),
              fix: 'recode the column, or use kind "multiclass" for a column with other values',
            });
          }
        }
        values[r * width + k] = v;
      });
    }
    targets[t.name] = { values, width, ...(missing > 0 ? { mask } : {}) };
  });

  const dataset = new ArrayDataset({ data: x, shape: [n, nf] }, targets, source);
  return { dataset, featureNames: [...featureNames], classes, ...(standardization ? { standardization } : {}) };
}

function parseBinary(cell: string): number {
  switch (cell.toLowerCase()) {
    case '1':
    case 'true':
    case 'yes':
      return 1;
    case '0':
    case 'false':
    case 'no':
      return 0;
  }
  const v = parseDecimal(cell);
  return v === 0 || v === 1 ? v : NaN;
}

/** Build the cell → class index map of a multiclass task and record its class names. */
function classDecoder(
  t: CsvTarget,
  rows: string[][],
  col: number,
  cellPath: (r: number, col: number) => string,
  classes: Record<string, string[]>,
): (cell: string, r: number) => number {
  const isIndex = (s: string): boolean => /^\d+$/.test(s);
  if (typeof t.classes === 'number') {
    const k = t.classes;
    classes[t.name] = Array.from({ length: k }, (_, i) => String(i));
    return (cell, r) => {
      const v = Number(cell);
      if (!isIndex(cell) || v >= k) {
        throw new MtlError({
          code: 'data.csv_unknown_class',
          path: cellPath(r, col),
          expected: `a class index 0..${k - 1} (classes: ${k})`,
          found: JSON.stringify(cell),
          fix: 'correct the value, raise classes, or give classes as a list of names',
        });
      }
      return v;
    };
  }
  let names: string[];
  if (Array.isArray(t.classes)) names = t.classes.map(String);
  else {
    const distinct = new Set<string>();
    for (const row of rows) {
      const cell = row[col]!.trim();
      if (cell !== '') distinct.add(cell);
    }
    const all = [...distinct];
    if (all.length > 0 && all.every(isIndex)) {
      const max = all.reduce((m, c) => Math.max(m, Number(c)), 0);
      if (max >= MAX_INFERRED_CLASSES) {
        const r = rows.findIndex((row) => Number(row[col]!.trim()) === max);
        throw new MtlError({
          code: 'data.csv_unknown_class',
          path: cellPath(r, col),
          expected: `a class index below ${MAX_INFERRED_CLASSES} (the column's integers are read as class indices 0..K−1)`,
          found: JSON.stringify(rows[r]![col]!.trim()),
          fix: 'give the task its classes (a count, or a list of names), or correct the value',
        });
      }
      names = Array.from({ length: max + 1 }, (_, i) => String(i));
      classes[t.name] = names;
      return (cell) => Number(cell);
    }
    names = all.sort();
  }
  classes[t.name] = names;
  const index = new Map(names.map((c, i) => [c, i]));
  return (cell, r) => {
    const v = index.get(cell);
    if (v === undefined) {
      const guess = closest(cell, names);
      throw new MtlError({
        code: 'data.csv_unknown_class',
        path: cellPath(r, col),
        expected: `one of the classes [${names.join(', ')}] of task "${t.name}"`,
        found: JSON.stringify(cell),
        fix: guess ? `did you mean "${guess}"? (class names are case-sensitive)` : 'correct the value or add it to classes',
      });
    }
    return v;
  };
}

function computeStandardization(x: Float32Array, n: number, columns: string[]): Standardization {
  const nf = columns.length;
  const mean = new Float64Array(nf);
  const sq = new Float64Array(nf);
  for (let r = 0; r < n; r++) for (let f = 0; f < nf; f++) mean[f]! += x[r * nf + f]!;
  for (let f = 0; f < nf; f++) mean[f] = n > 0 ? mean[f]! / n : 0;
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < nf; f++) {
      const d = x[r * nf + f]! - mean[f]!;
      sq[f]! += d * d;
    }
  }
  const std = new Float32Array(nf);
  for (let f = 0; f < nf; f++) {
    const s = n > 0 ? Math.sqrt(sq[f]! / n) : 0;
    std[f] = s > 0 ? s : 1;
  }
  return { columns: [...columns], mean: Float32Array.from(mean), std };
}

function checkStandardization(s: Standardization, featureNames: string[], source: string): void {
  const same =
    s.columns.length === featureNames.length &&
    s.columns.every((c, i) => c === featureNames[i]) &&
    s.mean.length === featureNames.length &&
    s.std.length === featureNames.length;
  if (!same) {
    throw new MtlError({
      code: 'data.csv_standardization',
      path: `${source}: standardize`,
      expected: `statistics for the features [${featureNames.join(', ')}] in this order`,
      found: `statistics for [${s.columns.join(', ')}] (${s.mean.length} means, ${s.std.length} stds)`,
      fix: 'pass the standardization returned when loading the training set with the same features',
    });
  }
}
