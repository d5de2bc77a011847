import { closest, MtlError } from '../errors.js';

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

/** Which columns of a CSV header are features and which are each task's labels. */
export interface CsvLayout {
  /** Input column names, in order. */
  features: string[];
  /** Their positions in the header. */
  featureColumns: number[];
  /** Per target, the positions of its label columns. */
  targetColumns: number[][];
}

const KIND_NAMES: readonly CsvTargetKind[] = ['binary', 'multiclass', 'multilabel', 'regression'];

/**
 * Resolve feature and target columns against a header, checking the target definitions
 * before any cell is read.
 *
 * @throws MtlError `data.csv_unknown_column` (with the header and a did-you-mean),
 *   `data.csv_target` (a bad target definition, a label used as a feature, no feature).
 */
export function resolveCsvLayout(
  header: readonly string[],
  features: readonly string[] | 'rest',
  targets: readonly CsvTarget[],
  source: string,
  categorical: readonly string[] = [],
): CsvLayout {
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
  const used = new Map<string, string>();
  const taskNames = new Set<string>();
  const targetColumns = targets.map((t, ti) => {
    const where = `targets[${ti}]`;
    if (taskNames.has(t.name)) {
      throw new MtlError({ code: 'data.csv_target', path: `${source}: ${where}.name`, expected: 'a unique task name', found: JSON.stringify(t.name) });
    }
    taskNames.add(t.name);
    if (!KIND_NAMES.includes(t.kind)) {
      const near = closest(String(t.kind), KIND_NAMES);
      throw new MtlError({
        code: 'data.csv_target',
        path: `${source}: ${where}.kind`,
        expected: `one of ${KIND_NAMES.join(', ')}`,
        found: JSON.stringify(t.kind),
        ...(near ? { fix: `did you mean "${near}"?` } : {}),
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
  const names = features === 'rest' ? header.filter((h) => !used.has(h)) : [...features];
  const seen = new Set<string>();
  const featureColumns = names.map((f, fi) => {
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
    if (seen.has(f)) {
      throw new MtlError({ code: 'data.csv_target', path: `${source}: features[${fi}]`, expected: 'each feature column once', found: `"${f}" again`, fix: 'remove the repeat' });
    }
    seen.add(f);
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
  categorical.forEach((c, i) => {
    if (!names.includes(c)) {
      const near = closest(c, names);
      throw new MtlError({
        code: 'data.csv_unknown_column',
        path: `${source}: categorical[${i}]`,
        expected: `one of the feature columns [${names.join(', ')}]`,
        found: JSON.stringify(c),
        fix: near ? `did you mean "${near}"?` : used.has(c) ? 'a label column is not a feature; remove it from categorical' : 'add it to features, or remove it from categorical',
      });
    }
  });
  return { features: names, featureColumns, targetColumns };
}
