import { MtlError, closest, describeValue } from './errors.js';

/**
 * Where a block of options lives, for error messages: the path prefix
 * (`weighting.options`), the error-code prefix (`weighting`) and what owns the options
 * (`method "mgda"`). Weighting methods and architectures read their options through
 * the same checks below.
 */
export interface OptionScope {
  path: string;
  code: string;
  owner: string;
}

/** Reject option keys the owner does not know, with a did-you-mean hint. */
export function checkKeys(scope: OptionScope, options: object | undefined, known: readonly string[]): void {
  for (const key of Object.keys(options ?? {})) {
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new MtlError({
        code: `${scope.code}.unknown_option`,
        path: `${scope.path}.${key}`,
        expected: known.length > 0 ? `one of [${known.join(', ')}] for ${scope.owner}` : `no options for ${scope.owner}`,
        found: `"${key}"`,
        fix: near ? `did you mean "${near}"?` : `remove "${key}"`,
      });
    }
  }
}

/** Bounds of a number option: `min`/`max` inclusive, `above` exclusive. */
export interface NumberRange {
  min?: number;
  max?: number;
  above?: number;
  integer?: boolean;
}

/** Read a finite number option within its bounds, or its default. */
export function readNumber(scope: OptionScope, options: Record<string, unknown> | undefined, key: string, defaultValue: number, range: NumberRange = {}): number {
  const raw = options?.[key];
  if (raw === undefined) return defaultValue;
  const ok =
    typeof raw === 'number' &&
    Number.isFinite(raw) &&
    (range.min === undefined || raw >= range.min) &&
    (range.above === undefined || raw > range.above) &&
    (range.max === undefined || raw <= range.max) &&
    (!range.integer || Number.isInteger(raw));
  if (!ok) {
    const bounds = [
      range.min !== undefined ? `≥ ${range.min}` : '',
      range.above !== undefined ? `> ${range.above}` : '',
      range.max !== undefined ? `≤ ${range.max}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    throw new MtlError({
      code: `${scope.code}.bad_option`,
      path: `${scope.path}.${key}`,
      expected: `a finite ${range.integer ? 'integer' : 'number'}${bounds ? ' ' + bounds : ''} for ${scope.owner}`,
      found: describeValue(raw),
      fix: `set ${key} to a valid value or remove it to use the default ${defaultValue}`,
    });
  }
  return raw;
}

/** Read a string option that must be one of `choices`, or its default. */
export function readChoice<C extends string>(
  scope: OptionScope,
  options: Record<string, unknown> | undefined,
  key: string,
  choices: readonly C[],
  defaultValue: C,
): C {
  const raw = options?.[key];
  if (raw === undefined) return defaultValue;
  if (typeof raw === 'string' && (choices as readonly string[]).includes(raw)) return raw as C;
  const near = typeof raw === 'string' ? closest(raw, choices) : undefined;
  throw new MtlError({
    code: `${scope.code}.bad_option`,
    path: `${scope.path}.${key}`,
    expected: `one of [${choices.map((c) => `"${c}"`).join(', ')}] for ${scope.owner}`,
    found: describeValue(raw),
    fix: near ? `did you mean "${near}"?` : `remove ${key} to use the default "${defaultValue}"`,
  });
}

/** Read a boolean option, or its default. */
export function readBoolean(scope: OptionScope, options: Record<string, unknown> | undefined, key: string, defaultValue: boolean): boolean {
  const raw = options?.[key];
  if (raw === undefined) return defaultValue;
  if (typeof raw === 'boolean') return raw;
  throw new MtlError({
    code: `${scope.code}.bad_option`,
    path: `${scope.path}.${key}`,
    expected: `true or false for ${scope.owner}`,
    found: describeValue(raw),
    fix: `remove ${key} to use the default ${defaultValue}`,
  });
}
