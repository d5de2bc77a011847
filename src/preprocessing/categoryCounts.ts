import { MtlError } from '../errors.js';

/**
 * How often each category of a categorical column occurs, counted in one pass, with a
 * bound on the number of distinct values (an identifier column read as categorical
 * would otherwise grow without limit).
 */
export class CategoryCounts {
  readonly counts = new Map<string, number>();

  /**
   * @param column the column's name, for the error message.
   * @param maxDistinct distinct values allowed before counting stops with an error. @defaultValue 100,000
   */
  constructor(
    readonly column: string,
    readonly maxDistinct = 100_000,
  ) {}

  /** Count one (trimmed, non-missing) value. */
  add(value: string): void {
    const c = this.counts.get(value);
    if (c !== undefined) {
      this.counts.set(value, c + 1);
      return;
    }
    if (this.counts.size >= this.maxDistinct) {
      throw new MtlError({
        code: 'data.csv_high_cardinality',
        path: `column "${this.column}"`,
        expected: `a categorical column with at most ${this.maxDistinct} distinct values`,
        found: `more than ${this.maxDistinct} (an identifier or free text?)`,
        fix: 'leave the column out of features; if it is numeric, correct the cells that are not numbers',
      });
    }
    this.counts.set(value, 1);
  }

  /** The most frequent value (ties: the first in sorted order); undefined when empty. */
  mostFrequent(): string | undefined {
    let best: string | undefined;
    let bestCount = -1;
    for (const [value, count] of this.counts) {
      if (count > bestCount || (count === bestCount && value < best!)) {
        best = value;
        bestCount = count;
      }
    }
    return best;
  }

  /**
   * The vocabulary: the `maxCategories` most frequent values (ties broken by sorted
   * order), listed in sorted order so that the one-hot columns do not depend on counts
   * beyond the cut.
   */
  vocabulary(maxCategories: number): string[] {
    const byFrequency = [...this.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return byFrequency
      .slice(0, maxCategories)
      .map(([v]) => v)
      .sort();
  }
}
