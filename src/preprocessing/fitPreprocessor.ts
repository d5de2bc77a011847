import { MtlError } from '../errors.js';
import { CategoryCounts } from './categoryCounts.js';
import { DEFAULT_NA_VALUES, isMissingValue, missingValueTest } from './missingValues.js';
import { parseNumberCell } from './numberCell.js';
import type { FeatureTransform, PreprocessorJson, TargetTransform } from './preprocessor.js';
import { RunningMoments } from './runningMoments.js';
import { SampleMedian } from './sampleMedian.js';

/** Options of the preprocessing fitted on the training rows. */
export interface PreprocessingOptions {
  /**
   * Cells read as missing besides the empty cell (trimmed, any case).
   * @defaultValue ['', 'NA', 'NaN', 'null', 'N/A']
   */
  naValues?: string[];
  /**
   * `true`: standardise numeric features and regression targets to mean 0, std 1 with
   * the training rows' statistics; or choose separately. Predictions are mapped back
   * to the targets' units. @defaultValue false
   */
  standardize?: boolean | { features?: boolean; targets?: boolean };
  /**
   * How a missing feature cell is filled: numeric columns with the training mean or
   * median; categorical ones with the most frequent training value or a category of
   * their own. @defaultValue { numbers: 'mean', categories: 'missing-category' }
   */
  impute?: { numbers?: 'mean' | 'median'; categories?: 'most-frequent' | 'missing-category' };
  /** Add a 0/1 input per column that had missing training cells, 1 where the cell is missing. @defaultValue false */
  missingIndicators?: boolean;
  /** One-hot inputs per categorical column at most: the most frequent training values; rarer ones encode as all zeros. @defaultValue 100 */
  maxCategories?: number;
}

/** An input column and how it is read. */
export interface FeatureColumn {
  column: string;
  kind: 'numeric' | 'categorical';
}

/** Whether the options standardise features / targets. */
export function standardizes(options: PreprocessingOptions, what: 'features' | 'targets'): boolean {
  const s = options.standardize;
  return typeof s === 'object' ? Boolean(s[what]) : Boolean(s);
}

/**
 * Fits the preprocessing in one pass over the training rows: feature statistics
 * (running moments for means and standard deviations, a bounded sample for medians,
 * category counts for vocabularies, missing counts) and, for regression tasks, the
 * targets' moments. Feed it every training row ({@link addFeatures}, and
 * {@link addTarget} for each labelled regression target), then {@link finish}.
 *
 * @example
 * ```ts
 * const fitter = new PreprocessorFitter([{ column: 'age', kind: 'numeric' }], [], { standardize: true });
 * for (const age of ['30', 'NA', '50']) fitter.addFeatures([age], () => 'row');
 * fitter.finish().features[0]; // { kind: 'numeric', imputation: { strategy: 'mean', value: 40 }, scaling: { mean: 40, std: 10 }, ... }
 * ```
 */
export class PreprocessorFitter {
  private readonly isMissingCell: (cell: string) => boolean;
  private readonly naValues: string[];
  private readonly moments: (RunningMoments | null)[];
  private readonly medians: (SampleMedian | null)[];
  private readonly categories: (CategoryCounts | null)[];
  private readonly missing: number[];
  private readonly targetMoments: RunningMoments[][];
  private rows = 0;

  constructor(
    readonly features: readonly FeatureColumn[],
    readonly targets: readonly TargetTransform[],
    readonly options: PreprocessingOptions = {},
  ) {
    this.naValues = [...(options.naValues ?? DEFAULT_NA_VALUES)];
    this.isMissingCell = missingValueTest(this.naValues);
    const median = (options.impute?.numbers ?? 'mean') === 'median';
    this.moments = features.map((f) => (f.kind === 'numeric' ? new RunningMoments() : null));
    this.medians = features.map((f) => (f.kind === 'numeric' && median ? new SampleMedian(1_000_000, `median:${f.column}`) : null));
    this.categories = features.map((f) => (f.kind === 'categorical' ? new CategoryCounts(f.column) : null));
    this.missing = features.map(() => 0);
    this.targetMoments = targets.map((t) => (t.kind === 'regression' ? t.columns.map(() => new RunningMoments()) : []));
  }

  /** Add one training row's input values (`values[k]` for `features[k]`); `where` names the row in errors. */
  addFeatures(values: ArrayLike<unknown>, where: () => string): void {
    this.rows++;
    for (let k = 0; k < this.features.length; k++) {
      const value = values[k];
      if (isMissingValue(value, this.isMissingCell)) {
        this.missing[k]!++;
        continue;
      }
      const moments = this.moments[k];
      if (moments) {
        const x = typeof value === 'number' ? value : parseNumberCell(String(value));
        if (!Number.isFinite(x)) {
          throw new MtlError({
            code: 'data.bad_feature',
            path: `${where()}, column "${this.features[k]!.column}"`,
            expected: `a number (column "${this.features[k]!.column}" is numeric), or a missing value`,
            found: JSON.stringify(value),
            fix: 'correct the value, add it to naValues to read it as missing, or declare the column categorical',
          });
        }
        moments.add(x);
        this.medians[k]?.add(x);
      } else {
        this.categories[k]!.add(String(value).trim());
      }
    }
  }

  /** Add one labelled training target of regression task `task` (index into `targets`), one value per column. */
  addTarget(task: number, values: ArrayLike<number>): void {
    const m = this.targetMoments[task]!;
    for (let c = 0; c < m.length; c++) m[c]!.add(values[c]!);
  }

  /**
   * The fitted preprocessing.
   * @throws MtlError `data.empty_column` for a feature with no value in any training row.
   */
  finish(): PreprocessorJson {
    const standardizeFeatures = standardizes(this.options, 'features');
    const standardizeTargets = standardizes(this.options, 'targets');
    const indicators = this.options.missingIndicators ?? false;
    const maxCategories = this.options.maxCategories ?? 100;
    const features: FeatureTransform[] = this.features.map((f, k) => {
      const missing = this.missing[k]! > 0;
      const present = this.rows - this.missing[k]!;
      if (present === 0) {
        throw new MtlError({
          code: 'data.empty_column',
          path: `column "${f.column}"`,
          expected: 'a feature column with at least one value in the training rows',
          found: this.rows === 0 ? 'no training rows' : `only missing values in ${this.rows} training rows`,
          fix: 'leave the column out of features, or check naValues',
        });
      }
      if (f.kind === 'numeric') {
        const m = this.moments[k]!;
        const median = this.medians[k];
        const std = m.std;
        return {
          kind: 'numeric',
          column: f.column,
          imputation: median ? { strategy: 'median', value: median.median() } : { strategy: 'mean', value: m.mean },
          ...(standardizeFeatures ? { scaling: { mean: m.mean, std: std > 0 ? std : 1 } } : {}),
          missingIndicator: indicators && missing,
        };
      }
      const counts = this.categories[k]!;
      const categories = counts.vocabulary(maxCategories);
      const strategy = this.options.impute?.categories ?? 'missing-category';
      return {
        kind: 'categorical',
        column: f.column,
        categories,
        imputation: strategy === 'most-frequent' ? { strategy, value: counts.mostFrequent()! } : { strategy, column: missing },
        missingIndicator: indicators && missing && strategy === 'most-frequent',
        encoding: 'one-hot',
      };
    });
    const targets = this.targets.map((t, i): TargetTransform => {
      if (t.kind !== 'regression' || !standardizeTargets) return { ...t };
      const m = this.targetMoments[i]!;
      if (m.some((c) => c.count === 0)) {
        throw new MtlError({
          code: 'data.empty_column',
          path: `task "${t.task}"`,
          expected: 'at least one labelled training row to standardise the targets on',
          found: 'none',
          fix: 'check the label columns and naValues',
        });
      }
      return { ...t, scaling: { mean: m.map((c) => c.mean), std: m.map((c) => (c.std > 0 ? c.std : 1)) } };
    });
    return { format: 'mtl-ts/preprocessing', version: 1, naValues: this.naValues, features, targets };
  }
}
