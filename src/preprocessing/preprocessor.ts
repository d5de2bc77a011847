import { MtlError } from '../errors.js';
import type { TaskKind } from '../tasks/task.js';
import { isMissingValue, missingValueTest } from './missingValues.js';
import { parseNumberCell } from './numberCell.js';

/**
 * The fitted preprocessing of tabular data as plain JSON: how each input column becomes
 * model inputs (imputation, standardisation, one-hot vocabularies, missing-value
 * indicators) and what each task's labels mean (class names, target scaling). It is
 * fitted on the training rows only ({@link PreprocessorFitter}), saved with the model
 * (in `model.json`'s metadata and as `preprocessing.json` in the run folder), and applied
 * by the same code in Node and in the browser, so training, `mtl predict` and a web page
 * cannot disagree. Nothing in this folder imports a Node module.
 */

/** A numeric input column: one model input (plus an optional missing indicator). */
export interface NumericFeature {
  kind: 'numeric';
  column: string;
  /** The value a missing cell takes, and how it was chosen from the training rows. */
  imputation: { strategy: 'mean' | 'median'; value: number };
  /** Standardisation (x − mean) / std with the training rows' mean and population std (1 for a constant column). */
  scaling?: { mean: number; std: number };
  /** A 0/1 input that is 1 where the cell was missing (only for columns with missing training cells). */
  missingIndicator: boolean;
}

/**
 * A categorical input column, one-hot encoded: one model input per category of the
 * vocabulary (the training rows' most frequent values, sorted). A value outside the
 * vocabulary sets none of them (all zeros).
 */
export interface CategoricalFeature {
  kind: 'categorical';
  column: string;
  categories: string[];
  /**
   * A missing cell: `most-frequent` counts as the most frequent training value;
   * `missing-category` sets a one-hot input of its own (present when the training rows
   * had missing cells; otherwise a missing cell sets none, like an unknown value).
   */
  imputation: { strategy: 'most-frequent'; value: string } | { strategy: 'missing-category'; column: boolean };
  /** A 0/1 input that is 1 where the cell was missing (`most-frequent` imputation only). */
  missingIndicator: boolean;
  encoding: 'one-hot';
}

/** How one input column becomes model inputs. */
export type FeatureTransform = NumericFeature | CategoricalFeature;

/**
 * What one task's labels are: the kind, the label columns, the names of the outputs
 * (class names; for binary tasks the negative and positive class), and for regression
 * the standardisation of the targets (fitted on the labelled training rows).
 */
export interface TargetTransform {
  task: string;
  kind: TaskKind;
  columns: string[];
  /** multiclass: class names in index order; binary: [negative, positive] as the data spells them. */
  classes?: string[];
  /** regression: per column, the training targets' mean and population std; the model learns (y − mean) / std. */
  scaling?: { mean: number[]; std: number[] };
}

/** The fitted preprocessing, as saved. */
export interface PreprocessorJson {
  /** The format's name from before the package was renamed tfjs-multitask, kept so that files saved since still load. */
  format: 'mtl-ts/preprocessing';
  version: 1;
  /** Cells read as missing (besides the empty cell), compared trimmed and ignoring case. */
  naValues: string[];
  /** Input columns in order; their encoded inputs are concatenated in this order. */
  features: FeatureTransform[];
  /** Per task, in the model's task order. */
  targets: TargetTransform[];
}

/** The suffix of a missing-value indicator's input name (`age:missing`). */
export const MISSING_SUFFIX = ':missing';

/** The model inputs' names, in order: `age`, `age:missing`, `color=red`, `color:missing`, ... */
export function encodedFeatureNames(p: PreprocessorJson): string[] {
  const names: string[] = [];
  for (const f of p.features) {
    if (f.kind === 'numeric') {
      names.push(f.column);
      if (f.missingIndicator) names.push(f.column + MISSING_SUFFIX);
    } else {
      for (const c of f.categories) names.push(`${f.column}=${c}`);
      if (f.imputation.strategy === 'missing-category' && f.imputation.column) names.push(f.column + MISSING_SUFFIX);
      if (f.missingIndicator) names.push(f.column + MISSING_SUFFIX);
    }
  }
  return names;
}

/** How many model inputs the preprocessing produces per row. */
export function encodedWidth(p: PreprocessorJson): number {
  return encodedFeatureNames(p).length;
}

/** The input columns the preprocessing reads, in order. */
export function inputColumns(p: PreprocessorJson): string[] {
  return p.features.map((f) => f.column);
}

/** Encodes raw rows into model inputs. */
export interface FeatureEncoder {
  /** Model inputs per row. */
  readonly width: number;
  /**
   * Write the inputs of one row into `out` at `offset`. `values[k]` is the value of
   * input column `k` (see {@link inputColumns}): a string cell, a number, a boolean,
   * or null/undefined for missing. `where` names the row in error messages.
   * @throws MtlError `data.bad_feature` for a numeric column holding something that is not a number.
   */
  encode(values: ArrayLike<unknown>, out: Float32Array, offset: number, where: () => string): void;
}

/**
 * Compile the encoder of a fitted preprocessing. The same function encodes training
 * rows, `mtl predict` rows and rows in a browser.
 *
 * @example
 * ```ts
 * const encoder = featureEncoder(preprocessing);
 * const x = new Float32Array(encoder.width);
 * encoder.encode(['41', 'red'], x, 0, () => 'row 2');
 * ```
 */
export function featureEncoder(p: PreprocessorJson): FeatureEncoder {
  const isMissingCell = missingValueTest(p.naValues);
  const width = encodedWidth(p);
  const steps = p.features.map((f) => {
    if (f.kind === 'numeric') {
      const mean = f.scaling?.mean ?? 0;
      const std = f.scaling?.std ?? 1;
      const impute = f.imputation.value;
      const indicator = f.missingIndicator;
      return (value: unknown, out: Float32Array, at: number, where: () => string): number => {
        let x: number;
        const missing = isMissingValue(value, isMissingCell);
        if (missing) x = impute;
        else if (typeof value === 'number') x = value;
        else if (typeof value === 'boolean') x = value ? 1 : 0;
        else x = parseNumberCell(String(value));
        if (!Number.isFinite(x)) {
          throw new MtlError({
            code: 'data.bad_feature',
            path: `${where()}, column "${f.column}"`,
            expected: `a number (column "${f.column}" is numeric), or a missing value (${missingList(p.naValues)})`,
            found: JSON.stringify(value),
            fix: 'correct the value, or add it to naValues to read it as missing',
          });
        }
        out[at] = (x - mean) / std;
        if (indicator) out[at + 1] = missing ? 1 : 0;
        return at + (indicator ? 2 : 1);
      };
    }
    const index = new Map(f.categories.map((c, i) => [c, i]));
    const k = f.categories.length;
    const imputed = f.imputation.strategy === 'most-frequent' ? index.get(f.imputation.value) : undefined;
    const missingColumn = f.imputation.strategy === 'missing-category' && f.imputation.column;
    const indicator = f.missingIndicator;
    const span = k + (missingColumn ? 1 : 0) + (indicator ? 1 : 0);
    return (value: unknown, out: Float32Array, at: number): number => {
      out.fill(0, at, at + span);
      const missing = isMissingValue(value, isMissingCell);
      if (missing) {
        if (imputed !== undefined) out[at + imputed] = 1;
        if (missingColumn) out[at + k] = 1;
      } else {
        const i = index.get(String(value).trim());
        if (i !== undefined) out[at + i] = 1;
      }
      if (indicator) out[at + span - 1] = missing ? 1 : 0;
      return at + span;
    };
  });
  return {
    width,
    encode(values, out, offset, where) {
      let at = offset;
      for (let k = 0; k < steps.length; k++) at = steps[k]!(values[k], out, at, where);
    },
  };
}

function missingList(naValues: readonly string[]): string {
  return ['empty', ...naValues.filter((v) => v.trim() !== '').map((v) => JSON.stringify(v))].join(', ');
}

/**
 * Check that a value read from JSON is a preprocessing this version can apply.
 * @throws MtlError `model.bad_metadata` naming what is wrong.
 */
export function checkPreprocessorJson(value: unknown, path: string): PreprocessorJson {
  const p = value as Partial<PreprocessorJson> | null;
  const bad = (what: string, found: unknown): never => {
    throw new MtlError({
      code: 'model.bad_metadata',
      path,
      expected: `tfjs-multitask preprocessing (format "mtl-ts/preprocessing", version 1): ${what}`,
      found: typeof found === 'string' ? found : JSON.stringify(found)?.slice(0, 80) ?? String(found),
      fix: 'save the model again with this version of tfjs-multitask (mtl train), or check that the file was not edited',
    });
  };
  if (!p || typeof p !== 'object' || p.format !== 'mtl-ts/preprocessing') bad('a format field', p && typeof p === 'object' ? p.format : p);
  if (p!.version !== 1) bad('version 1', p!.version);
  if (!Array.isArray(p!.features)) bad('a list of features', p!.features);
  if (!Array.isArray(p!.targets)) bad('a list of targets', p!.targets);
  if (!Array.isArray(p!.naValues)) bad('a list of naValues', p!.naValues);
  for (const f of p!.features!) {
    if (!f || (f.kind !== 'numeric' && f.kind !== 'categorical') || typeof f.column !== 'string') bad('features of kind numeric or categorical with a column', f);
    if (f.kind === 'categorical' && !Array.isArray(f.categories)) bad(`categories for column "${f.column}"`, f.categories);
  }
  return p as PreprocessorJson;
}
