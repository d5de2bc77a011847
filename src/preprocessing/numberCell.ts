/**
 * Reading numbers from text cells. A cell is a number when, trimmed, it is a plain
 * decimal (optional sign, digits with an optional point, optional exponent): `12`,
 * `-0.5`, `.5`, `1e3`. Hexadecimal, binary and octal literals, `Infinity`, thousands
 * separators and decimal commas are not numbers.
 */

/** The number a cell holds, or NaN when it is not a plain finite decimal. */
export function parseNumberCell(cell: string): number {
  // Number() reads exactly the plain decimals (surrounding whitespace allowed), plus the
  // empty cell (0), the 0x / 0b / 0o literals and Infinity, which are refused here. It is
  // several times faster than a regular expression on every cell of a large file.
  const v = Number(cell);
  if (!Number.isFinite(v)) return NaN;
  const n = cell.length;
  let i = 0;
  while (i < n && cell.charCodeAt(i) <= 32) i++;
  if (i === n) return NaN;
  let c = cell.charCodeAt(i);
  if (c === 0x2b || c === 0x2d) c = cell.charCodeAt(++i);
  if (c === 0x30) {
    const next = cell.charCodeAt(i + 1) | 0x20; // lower case
    if (next === 0x78 || next === 0x62 || next === 0x6f) return NaN; // 0x, 0b, 0o
  }
  return v;
}
