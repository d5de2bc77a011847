import { MtlError, closest, describeValue } from '../errors.js';

/** Options of an architecture as written in an experiment file (`model.options`). */
export type ArchitectureOptions = Record<string, unknown>;

/** Reject option keys the architecture does not know, with a did-you-mean hint. */
export function checkOptionKeys(architecture: string, options: ArchitectureOptions | undefined, known: readonly string[]): void {
  for (const key of Object.keys(options ?? {})) {
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new MtlError({
        code: 'model.unknown_option',
        path: `model.options.${key}`,
        expected: known.length > 0 ? `one of [${known.join(', ')}] for architecture "${architecture}"` : `no options for architecture "${architecture}"`,
        found: `"${key}"`,
        fix: near ? `did you mean "${near}"?` : `remove "${key}"`,
      });
    }
  }
}

/** Read a finite number option within the given bounds, or its default. */
export function numberOption(
  architecture: string,
  options: ArchitectureOptions | undefined,
  key: string,
  defaultValue: number,
  range: { min?: number; max?: number; above?: number; integer?: boolean } = {},
): number {
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
      code: 'model.bad_option',
      path: `model.options.${key}`,
      expected: `a finite ${range.integer ? 'integer' : 'number'}${bounds ? ' ' + bounds : ''} for architecture "${architecture}"`,
      found: describeValue(raw),
      fix: `set ${key} to a valid value or remove it to use the default ${defaultValue}`,
    });
  }
  return raw;
}

/** Read a string option that must be one of `choices`, or its default. */
export function choiceOption<C extends string>(
  architecture: string,
  options: ArchitectureOptions | undefined,
  key: string,
  choices: readonly C[],
  defaultValue: C,
): C {
  const raw = options?.[key];
  if (raw === undefined) return defaultValue;
  if (typeof raw === 'string' && (choices as readonly string[]).includes(raw)) return raw as C;
  const near = typeof raw === 'string' ? closest(raw, choices) : undefined;
  throw new MtlError({
    code: 'model.bad_option',
    path: `model.options.${key}`,
    expected: `one of [${choices.map((c) => `"${c}"`).join(', ')}] for architecture "${architecture}"`,
    found: describeValue(raw),
    fix: near ? `did you mean "${near}"?` : `remove ${key} to use the default "${defaultValue}"`,
  });
}

/** Read a boolean option, or its default. */
export function booleanOption(architecture: string, options: ArchitectureOptions | undefined, key: string, defaultValue: boolean): boolean {
  const raw = options?.[key];
  if (raw === undefined) return defaultValue;
  if (typeof raw === 'boolean') return raw;
  throw new MtlError({
    code: 'model.bad_option',
    path: `model.options.${key}`,
    expected: `true or false for architecture "${architecture}"`,
    found: describeValue(raw),
    fix: `remove ${key} to use the default ${defaultValue}`,
  });
}
