/**
 * Reading numbers from text cells. A cell is a number when, trimmed, it is a plain
 * decimal (optional sign, digits with an optional point, optional exponent): `12`,
 * `-0.5`, `.5`, `1e3`. Hexadecimal, `Infinity`, thousands separators and decimal
 * commas are not numbers.
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a cell holds, or NaN when it is not a plain finite decimal. */
export function parseNumberCell(cell: string): number {
  const text = cell.trim();
  if (!NUMBER.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}
