import { closest, MtlError } from '../errors.js';
import { parseNumberCell } from '../preprocessing/numberCell.js';
import type { TargetTransform } from '../preprocessing/preprocessor.js';
import type { CsvTarget } from './csvColumns.js';

/**
 * Reading one task's labels from CSV cells. A first pass over every row checks the
 * cells and learns what the labels are ({@link LabelReader.observe}: class names, the
 * spelling of binary labels); after {@link LabelReader.finish}, {@link LabelReader.decode}
 * turns a row's cells into label values.
 */
/** Integer labels read without `classes` are indices 0..max; beyond this many classes they are taken for a mistake. */
const MAX_INFERRED_CLASSES = 100_000;

export class LabelReader {
  private readonly distinct = new Set<string>();
  private readonly spellings: [Map<string, number>, Map<string, number>] = [new Map(), new Map()];
  private classIndex: Map<string, number> | null = null;
  private classNames: string[] | null = null;
  private integerClasses = false;
  /** `classes: K` with cells that are names rather than indices: the names are learned, and there must be K. */
  private classCount: number | null = null;
  private integerSeen = false;

  constructor(
    readonly target: CsvTarget,
    /** Header positions of the task's label columns. */
    readonly columns: readonly number[],
    readonly header: readonly string[],
    readonly source: string,
    readonly isMissing: (cell: string) => boolean,
  ) {
    if (target.kind === 'multiclass') {
      if (typeof target.classes === 'number') {
        this.classCount = target.classes;
      } else if (Array.isArray(target.classes)) {
        this.classNames = target.classes.map(String);
      }
      if (this.classNames && !this.integerClasses) this.classIndex = new Map(this.classNames.map((c, i) => [c, i]));
    }
  }

  /** Label values per example: the class index (width 1) for multiclass, else one per column. */
  get width(): number {
    return this.target.kind === 'multiclass' ? 1 : this.columns.length;
  }

  /**
   * First pass: check a row's label cells and learn from them. Returns a key of the
   * label for stratification (`''` when the label is missing).
   * @throws MtlError `data.csv_bad_label`, `data.csv_unknown_class`, `data.csv_partial_label`.
   */
  observe(fields: readonly string[], line: number): string {
    if (!this.present(fields, line)) return '';
    const t = this.target;
    if (t.kind === 'multiclass') {
      const cell = fields[this.columns[0]!]!.trim();
      if (this.classNames) this.classOf(cell, line);
      else if (this.classCount !== null && /^\d+$/.test(cell)) {
        // classes: K with class indices: each must be below K.
        if (Number(cell) >= this.classCount) {
          throw new MtlError({
            code: 'data.csv_unknown_class',
            path: this.cellPath(line, this.columns[0]!),
            expected: `a class index 0..${this.classCount - 1} (classes: ${this.classCount})`,
            found: JSON.stringify(cell),
            fix: 'correct the value, raise classes, or give classes as a list of names',
          });
        }
        this.integerSeen = true;
      } else if (this.classCount === null && /^\d+$/.test(cell) && Number(cell) >= MAX_INFERRED_CLASSES) {
        // Integer labels without classes are read as indices 0..max: a huge index is a
        // mistake (an ID, a measurement), not a class list to allocate.
        throw new MtlError({
          code: 'data.csv_unknown_class',
          path: this.cellPath(line, this.columns[0]!),
          expected: `a class index below ${MAX_INFERRED_CLASSES} for multiclass task "${t.name}" (integer labels are read as indices 0..max)`,
          found: JSON.stringify(cell),
          fix: 'give classes (a count or the class names), or use kind "regression" for a numeric target',
        });
      } else if (this.distinct.size < 100_000 || this.distinct.has(cell)) this.distinct.add(cell);
      else {
        throw new MtlError({
          code: 'data.csv_bad_label',
          path: this.cellPath(line, this.columns[0]!),
          expected: `at most 100000 classes for multiclass task "${t.name}"`,
          found: 'more distinct values (a regression target?)',
          fix: 'use kind "regression" for a numeric target, or give classes',
        });
      }
      return cell;
    }
    let key = '';
    for (const col of this.columns) {
      const cell = fields[col]!.trim();
      if (t.kind === 'regression') {
        this.regression(cell, line, col);
      } else {
        const v = this.binary(cell, line, col);
        const m = this.spellings[v]!;
        m.set(cell, (m.get(cell) ?? 0) + 1);
        key += v;
      }
    }
    return key;
  }

  /**
   * End of the first pass: the task's label description (class names; for binary tasks
   * the most frequent spelling of each class, e.g. `["no", "yes"]`).
   */
  finish(): TargetTransform {
    const t = this.target;
    if (t.kind === 'multiclass' && !this.classNames && this.classCount !== null) {
      const names = [...this.distinct].sort();
      if (names.length === 0) {
        this.classNames = Array.from({ length: this.classCount }, (_, i) => String(i));
        this.integerClasses = true;
      } else if (this.integerSeen || names.length !== this.classCount) {
        throw new MtlError({
          code: 'data.csv_class_count',
          path: `${this.source}: column "${this.header[this.columns[0]!]}"`,
          expected: `${this.classCount} classes for task "${t.name}" (classes: ${this.classCount}), all names or all indices 0..${this.classCount - 1}`,
          found: `${this.integerSeen ? 'class indices mixed with ' : ''}${names.length} named class${names.length === 1 ? '' : 'es'} [${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}]`,
          fix: this.integerSeen ? 'recode the column to names or to indices' : `set classes: ${names.length}, or list the class names: classes: [${names.slice(0, 12).join(', ')}]`,
        });
      } else {
        this.classNames = names;
        this.classIndex = new Map(names.map((c, i) => [c, i]));
      }
    }
    if (t.kind === 'multiclass' && !this.classNames) {
      const all = [...this.distinct];
      if (all.length > 0 && all.every((c) => /^\d+$/.test(c))) {
        const max = Math.max(...all.map(Number));
        this.classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
        this.integerClasses = true;
      } else {
        this.classNames = all.sort();
        this.classIndex = new Map(this.classNames.map((c, i) => [c, i]));
      }
    }
    const base: TargetTransform = { task: t.name, kind: t.kind, columns: this.columns.map((c) => this.header[c]!) };
    if (t.kind === 'multiclass') return { ...base, classes: [...this.classNames!] };
    if (t.kind === 'binary') {
      const name = (m: Map<string, number>, fallback: string) => [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? fallback;
      return { ...base, classes: [name(this.spellings[0], '0'), name(this.spellings[1], '1')] };
    }
    return base;
  }

  /** Second pass: write the row's label values at `out[offset …]`; returns false when the label is missing. */
  decode(fields: readonly string[], line: number, out: Float32Array, offset: number): boolean {
    if (!this.present(fields, line)) return false;
    const t = this.target;
    if (t.kind === 'multiclass') {
      out[offset] = this.classOf(fields[this.columns[0]!]!.trim(), line);
      return true;
    }
    this.columns.forEach((col, k) => {
      const cell = fields[col]!.trim();
      out[offset + k] = t.kind === 'regression' ? this.regression(cell, line, col) : this.binary(cell, line, col);
    });
    return true;
  }

  /** Whether the row has this task's label: every column filled (true), or every column missing (false). */
  private present(fields: readonly string[], line: number): boolean {
    let missing = 0;
    for (const col of this.columns) if (this.isMissing(fields[col]!)) missing++;
    if (missing === 0) return true;
    if (missing === this.columns.length) return false;
    const emptyCols = this.columns.filter((c) => this.isMissing(fields[c]!)).map((c) => `"${this.header[c]}"`);
    throw new MtlError({
      code: 'data.csv_partial_label',
      path: `${this.source}: row ${line}, task "${this.target.name}"`,
      expected: `all ${this.columns.length} columns of the task filled, or all missing (label missing)`,
      found: `empty ${emptyCols.join(', ')} but not the others`,
      fix: "fill in the empty cells, or empty all of this task's cells to mark the label as missing",
    });
  }

  private cellPath(line: number, col: number): string {
    return `${this.source}: row ${line}, column "${this.header[col]}"`;
  }

  private regression(cell: string, line: number, col: number): number {
    const v = parseNumberCell(cell);
    if (!Number.isFinite(v)) {
      throw new MtlError({
        code: 'data.csv_bad_label',
        path: this.cellPath(line, col),
        expected: `a finite number for regression task "${this.target.name}", or a missing value (empty, NA, ...)`,
        found: JSON.stringify(cell),
        fix: 'correct the value, or empty the cell (or add the value to naValues) to mark the label as missing',
      });
    }
    return v;
  }

  private binary(cell: string, line: number, col: number): 0 | 1 {
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
    const v = parseNumberCell(cell);
    if (v === 0 || v === 1) return v;
    throw new MtlError({
      code: 'data.csv_bad_label',
      path: this.cellPath(line, col),
      expected: `0/1, true/false or yes/no for ${this.target.kind} task "${this.target.name}", or a missing value`,
      found: JSON.stringify(cell),
      fix: 'recode the column, or use kind "multiclass" for a column with other values',
    });
  }

  private classOf(cell: string, line: number): number {
    const names = this.classNames!;
    const col = this.columns[0]!;
    if (this.integerClasses) {
      const v = Number(cell);
      if (!/^\d+$/.test(cell) || v >= names.length) {
        throw new MtlError({
          code: 'data.csv_unknown_class',
          path: this.cellPath(line, col),
          expected: `a class index 0..${names.length - 1} (classes: ${names.length})`,
          found: JSON.stringify(cell),
          fix: 'correct the value, raise classes, or give classes as a list of names',
        });
      }
      return v;
    }
    const v = this.classIndex!.get(cell);
    if (v === undefined) {
      const guess = closest(cell, names);
      throw new MtlError({
        code: 'data.csv_unknown_class',
        path: this.cellPath(line, col),
        expected: `one of the classes [${names.join(', ')}] of task "${this.target.name}"`,
        found: JSON.stringify(cell),
        fix: guess ? `did you mean "${guess}"? (class names are case-sensitive)` : 'correct the value or add it to classes',
      });
    }
    return v;
  }
}
