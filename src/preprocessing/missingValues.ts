/**
 * Missing values: which cells of a CSV file (or values of a raw record) count as
 * missing. A missing label removes the example from that task's loss and metrics; a
 * missing feature is imputed.
 */

/**
 * The cells read as missing unless told otherwise (compared after trimming, ignoring
 * case): an empty cell, `NA`, `NaN`, `null` and `N/A`.
 */
export const DEFAULT_NA_VALUES: readonly string[] = ['', 'NA', 'NaN', 'null', 'N/A'];

/**
 * A test for missing cells: true when the trimmed cell equals one of `naValues`,
 * ignoring case. The empty cell is always missing.
 *
 * @example
 * ```ts
 * const missing = missingValueTest(['NA', '?']);
 * missing(' na '); // true
 * missing('0'); // false
 * ```
 */
export function missingValueTest(naValues: readonly string[] = DEFAULT_NA_VALUES): (cell: string) => boolean {
  const set = new Set(['', ...naValues.map((v) => v.trim().toLowerCase())]);
  const longest = Math.max(...[...set].map((v) => v.length));
  const space = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xa0 || c === 0xfeff;
  return (cell) => {
    // Most cells are values: longer than any marker and not padded, they need no trimmed copy.
    const n = cell.length;
    if (n > longest && !space(cell.charCodeAt(0)) && !space(cell.charCodeAt(n - 1))) return false;
    return set.has(cell.trim().toLowerCase());
  };
}

/**
 * Whether a value of a raw record is missing: `null`, `undefined`, a NaN number, or a
 * string that `isMissingCell` accepts.
 */
export function isMissingValue(value: unknown, isMissingCell: (cell: string) => boolean): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  if (typeof value === 'string') return isMissingCell(value);
  return false;
}
