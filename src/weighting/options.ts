import { MtlError } from '../errors.js';
import { checkKeys, readBoolean, readChoice, readNumber, type NumberRange, type OptionScope } from '../options.js';

const scope = (method: string): OptionScope => ({ path: 'weighting.options', code: 'weighting', owner: `method "${method}"` });

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
  checkKeys(scope(method), options, known);
}

/** Read a finite number option within its bounds, or its default. */
export function numberOption(method: string, options: Record<string, unknown> | undefined, key: string, defaultValue: number, range: NumberRange = {}): number {
  return readNumber(scope(method), options, key, defaultValue, range);
}

/** Read a string option that must be one of `choices`, or its default. */
export function choiceOption<C extends string>(method: string, options: Record<string, unknown> | undefined, key: string, choices: readonly C[], defaultValue: C): C {
  return readChoice(scope(method), options, key, choices, defaultValue);
}

/** Read a boolean option, or its default. */
export function booleanOption(method: string, options: Record<string, unknown> | undefined, key: string, defaultValue: boolean): boolean {
  return readBoolean(scope(method), options, key, defaultValue);
}
