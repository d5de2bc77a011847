import { MtlError, closest, describeValue } from '../errors.js';

/** Check that a method without options got none. */
export function noOptions(method: string, options: object | undefined): Record<string, never> {
  const keys = Object.keys(options ?? {});
  if (keys.length > 0) {
    throw new MtlError({
      code: 'weighting.unknown_option',
      path: `weighting.options.${keys[0]}`,
      expected: `no options for method "${method}"`,
      found: `option "${keys[0]}"`,
      fix: 'remove the options block',
    });
  }
  return {};
}

/** Reject option keys the method does not know, with a did-you-mean hint. */
export function checkOptionKeys(method: string, options: object | undefined, known: readonly string[]): void {
  for (const key of Object.keys(options ?? {})) {
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new MtlError({
        code: 'weighting.unknown_option',
        path: `weighting.options.${key}`,
        expected: `one of [${known.join(', ')}] for method "${method}"`,
        found: `"${key}"`,
        fix: near ? `did you mean "${near}"?` : `remove "${key}"`,
      });
    }
  }
}

/** Read a finite number option within [min, max], or its default. */
export function numberOption(
  method: string,
  options: Record<string, unknown> | undefined,
  key: string,
  defaultValue: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = options?.[key];
  if (raw === undefined) return defaultValue;
  const ok =
    typeof raw === 'number' &&
    Number.isFinite(raw) &&
    (range.min === undefined || raw >= range.min) &&
    (range.max === undefined || raw <= range.max) &&
    (!range.integer || Number.isInteger(raw));
  if (!ok) {
    const bounds = [range.min !== undefined ? `≥ ${range.min}` : '', range.max !== undefined ? `≤ ${range.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new MtlError({
      code: 'weighting.bad_option',
      path: `weighting.options.${key}`,
      expected: `a finite ${range.integer ? 'integer' : 'number'}${bounds ? ' ' + bounds : ''} for method "${method}"`,
      found: describeValue(raw),
      fix: `set ${key} to a valid value or remove it to use the default ${defaultValue}`,
    });
  }
  return raw;
}

/** Read a string option that must be one of `choices`, or its default. */
export function choiceOption<C extends string>(
  method: string,
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
    code: 'weighting.bad_option',
    path: `weighting.options.${key}`,
    expected: `one of [${choices.map((c) => `"${c}"`).join(', ')}] for method "${method}"`,
    found: describeValue(raw),
    fix: near ? `did you mean "${near}"?` : `remove ${key} to use the default "${defaultValue}"`,
  });
}

/** Read a boolean option, or its default. */
export function booleanOption(method: string, options: Record<string, unknown> | undefined, key: string, defaultValue: boolean): boolean {
  const raw = options?.[key];
  if (raw === undefined) return defaultValue;
  if (typeof raw === 'boolean') return raw;
  throw new MtlError({
    code: 'weighting.bad_option',
    path: `weighting.options.${key}`,
    expected: `true or false for method "${method}"`,
    found: describeValue(raw),
    fix: `remove ${key} to use the default ${defaultValue}`,
  });
}
