import { GLOBAL_OPTIONS, type Command, type OptionSpec } from './command.js';

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [`${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`, o.description] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/** `mtl --help`: every command with its one-line summary, the global options and the exit codes. */
export function globalHelp(commands: readonly Command[], name: string, version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `mtl ${version}: multi-task learning on TensorFlow.js (${name})`,
    '',
    'usage: mtl <command> [arguments] [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'options:',
    ...optionLines({ ...GLOBAL_OPTIONS, version: { type: 'boolean', description: 'print the version and exit' } }),
    '',
    'mtl <command> --help shows a command\'s options and examples.',
    'exit codes: 0 success, 1 an error while running, 2 a mistake on the command line.',
    '',
  ].join('\n');
}

/** `mtl <command> --help`: its synopsis, description, options and examples. */
export function commandHelp(command: Command): string {
  return [
    `usage: ${command.usage}`,
    '',
    command.description,
    '',
    'options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
    'examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}
