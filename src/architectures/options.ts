import { checkKeys, readBoolean, readChoice, readNumber, type NumberRange, type OptionScope } from '../options.js';

/** Options of an architecture as written in an experiment file (`model.options`). */
export type ArchitectureOptions = Record<string, unknown>;

const scope = (architecture: string): OptionScope => ({ path: 'model.options', code: 'model', owner: `architecture "${architecture}"` });

/** Reject option keys the architecture does not know, with a did-you-mean hint. */
export function checkOptionKeys(architecture: string, options: ArchitectureOptions | undefined, known: readonly string[]): void {
  checkKeys(scope(architecture), options, known);
}

/** Read a finite number option within the given bounds, or its default. */
export function numberOption(architecture: string, options: ArchitectureOptions | undefined, key: string, defaultValue: number, range: NumberRange = {}): number {
  return readNumber(scope(architecture), options, key, defaultValue, range);
}

/** Read a string option that must be one of `choices`, or its default. */
export function choiceOption<C extends string>(architecture: string, options: ArchitectureOptions | undefined, key: string, choices: readonly C[], defaultValue: C): C {
  return readChoice(scope(architecture), options, key, choices, defaultValue);
}

/** Read a boolean option, or its default. */
export function booleanOption(architecture: string, options: ArchitectureOptions | undefined, key: string, defaultValue: boolean): boolean {
  return readBoolean(scope(architecture), options, key, defaultValue);
}
