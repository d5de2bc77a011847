/**
 * A plain decimal number as written in a data file: an optional sign, digits with an
 * optional decimal point (`12`, `-0.5`, `.5`, `5.`), and an optional exponent
 * (`1.5e-3`). Nothing else: JavaScript's `Number()` would also read `0x1F` as 31,
 * `0b101` as 5, `Infinity`, and a blank cell as 0, all silently.
 */
const PLAIN_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The value of a cell that must be a plain, finite decimal number (surrounding spaces
 * allowed), or NaN: hexadecimal, octal and binary literals, `Infinity`, `NaN`, digit
 * separators (`1_000`, `1,5`), a dangling exponent (`1e`), blank text and numbers
 * that overflow to ±Infinity (`1e999`) all give NaN.
 *
 * @example
 * parseDecimal(' -1.5e3 '); // -1500
 * parseDecimal('0x1F');     // NaN
 */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  if (!PLAIN_DECIMAL.test(trimmed)) return NaN;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : NaN;
}
