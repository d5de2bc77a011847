import { parseArgs } from 'node:util';
import { MtlError, closest } from '../errors.js';

/** One command-line option of a command (`--name VALUE` or a `--flag`). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** What the option does, for `mtl <command> --help`. */
  description: string;
  /** The value's placeholder in the help text (`N`, `DIR`). @defaultValue VALUE */
  value?: string;
  short?: string;
  /** Whether the option may be given several times (its values are collected in order). */
  multiple?: boolean;
}

/** What a command receives: its positionals, its option values, and where its output goes. */
export interface CommandContext {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  /** Global `--verbose`: details that are not needed every time (the backend's full line, stack traces of internal errors). */
  verbose: boolean;
  /** Standard output, one line per call. */
  log: (line: string) => void;
}

/**
 * A subcommand of `mtl`: its name, help text, options and what it runs. Each command
 * lives in its own module under `src/cli/commands/`, and the entry point
 * (`src/cli/runCli.ts`) parses, validates and dispatches every one the same way, so
 * every argument mistake is the same coded error with the same exit code.
 */
export interface Command {
  name: string;
  /** One line for `mtl --help`. */
  summary: string;
  /** The synopsis, e.g. `mtl eval <run folder> [--backend NAME]`. */
  usage: string;
  /** What it does, a few lines for `mtl <command> --help`. */
  description: string;
  /** Positional arguments: how many, and how they are called in messages. */
  positionals: { min: number; max: number; names: string; example: string };
  options: Readonly<Record<string, OptionSpec>>;
  /** Example invocations for the help text. */
  examples: readonly string[];
  /** Runs it; resolves to the exit code (0 ok, 1 error). Errors are thrown as MtlError. */
  run(context: CommandContext): Promise<number>;
}

/** Exit codes of `mtl`: 0 success, 1 an error while running, 2 a usage error (bad command line). */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  verbose: { type: 'boolean', description: 'print details: the backend selection in full, stack traces of internal errors' },
};

/**
 * Parse a command's arguments. Every mistake (unknown option, with a did-you-mean among
 * the command's options; a missing value; too few or too many positionals) is an
 * MtlError with a `cli.` code, which `runCli` prints and exits with 2.
 */
export function parseCommandArgs(command: Command, argv: readonly string[]): { positionals: string[]; values: CommandContext['values'] } {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    throw argumentError(command, argv, error);
  }
  const values = parsed.values as CommandContext['values'];
  if (values.help) return { positionals: parsed.positionals, values };
  const { min, max, names, example } = command.positionals;
  if (parsed.positionals.length < min) {
    throw new MtlError({
      code: 'cli.missing_argument',
      path: `mtl ${command.name}`,
      expected: names,
      found: parsed.positionals.length === 0 ? 'nothing' : `only ${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`,
      fix: `e.g. ${example} (mtl ${command.name} --help for more)`,
    });
  }
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals.slice(max);
    throw new MtlError({
      code: 'cli.extra_argument',
      path: `mtl ${command.name}`,
      expected: max === 0 ? 'no positional arguments' : `${names} (${max === 1 ? 'one' : `at most ${max}`})`,
      found: `also ${extra.map((p) => JSON.stringify(p)).join(' ')}`,
      fix: extra[0]!.startsWith('-') ? 'put options after the command name, each with its value' : `e.g. ${example}`,
    });
  }
  return { positionals: parsed.positionals, values };
}

function argumentError(command: Command, argv: readonly string[], error: unknown): MtlError {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  const known = Object.keys({ ...command.options, ...GLOBAL_OPTIONS });
  const flag = /'(-{1,2}[^'\s]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = flag.replace(/^-+/, '').split('=')[0]!;
    const near = closest(name, known);
    return new MtlError({
      code: 'cli.unknown_option',
      path: `mtl ${command.name}`,
      expected: `one of the options ${known.map((k) => `--${k}`).join(', ')}`,
      found: `the unknown option "${flag.split('=')[0]}"`,
      fix: near ? `did you mean "--${near}"?` : `mtl ${command.name} --help lists the options`,
    });
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = flag.replace(/^-+/, '').split('=')[0]!;
    const spec = ({ ...command.options, ...GLOBAL_OPTIONS } as Record<string, OptionSpec>)[name];
    if (spec?.type === 'string') {
      return new MtlError({
        code: 'cli.missing_value',
        path: `--${name}`,
        expected: `a value (--${name} ${spec.value ?? 'VALUE'})`,
        found: 'nothing',
        fix: `mtl ${command.name} --${name} ${spec.value ?? 'VALUE'}`,
      });
    }
    return new MtlError({
      code: 'cli.unexpected_value',
      path: `--${name}`,
      expected: 'a flag without a value',
      found: `a value in "${argv.find((a) => a.startsWith(`--${name}=`)) ?? flag}"`,
      fix: `write --${name} alone`,
    });
  }
  return new MtlError({
    code: 'cli.bad_arguments',
    path: `mtl ${command.name}`,
    expected: 'valid arguments',
    found: message.split('\n')[0]!,
    fix: `mtl ${command.name} --help`,
  });
}

/** A positive integer option (`--epochs 3`), or undefined when absent; anything else is a `cli.bad_option` error. */
export function positiveIntegerOption(values: CommandContext['values'], name: string, limit = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > limit) {
    throw new MtlError({
      code: 'cli.bad_option',
      path: `--${name}`,
      expected: `a whole number from 1${limit === Number.MAX_SAFE_INTEGER ? '' : ` to ${limit}`}`,
      found: JSON.stringify(raw),
      fix: `e.g. --${name} 4`,
    });
  }
  return n;
}

/** A positive finite number option (`--learning-rate 1e-4`), or undefined when absent. */
export function positiveNumberOption(values: CommandContext['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const n = /^[+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new MtlError({ code: 'cli.bad_option', path: `--${name}`, expected: 'a positive finite number', found: JSON.stringify(raw), fix: `e.g. --${name} 0.0001` });
  }
  return n;
}
