/**
 * A coded, structured error: what went wrong, where, what was expected, what was
 * found, and how to fix it. Every user-facing failure in tfjs-multitask is one of these, so
 * the CLI can print it in one block and programs can branch on `code`.
 */
export class MtlError extends Error {
  /** Machine-readable code, e.g. `config.unknown_key`, `data.nan_feature`. */
  readonly code: string;
  /** Where the problem is: a config path (`tasks[1].kind`), a file and row, an argument name. */
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  readonly fix?: string;

  constructor(args: { code: string; path: string; expected: string; found: string; fix?: string; message?: string }) {
    const text =
      args.message ??
      `${args.path}: expected ${args.expected}, found ${args.found}.` + (args.fix ? ` Fix: ${args.fix}` : '');
    super(text);
    this.name = 'MtlError';
    this.code = args.code;
    this.path = args.path;
    this.expected = args.expected;
    this.found = args.found;
    this.fix = args.fix;
  }
}

/** Describe a value briefly for an error message ("the string \"abc\"", "a number (NaN)", "an array of 3"). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)}`;
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object with keys [${Object.keys(value as object).join(', ')}]`;
  return typeof value;
}

/** The closest candidate to `word` by edit distance, for "did you mean" hints; undefined if none is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
