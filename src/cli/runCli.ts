import { MtlError, closest } from '../errors.js';
import { EXIT, parseCommandArgs, type Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, globalHelp } from './help.js';
import { packageInfo } from './version.js';

/** Where `runCli` writes: standard output and standard error, one chunk of text per call. */
export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Run `mtl` with the arguments after the program name and resolve to its exit code:
 * 0 success, 1 an error while running, 2 a usage error. Every failure is printed as one
 * coded block (`error [code] where / expected / found / fix`); a stack trace only for
 * an internal error, and only with `--verbose` or `MTL_DEBUG=1`.
 */
export async function runCli(argv: readonly string[], output: CliOutput = processOutput, commands: readonly Command[] = COMMANDS): Promise<number> {
  const verbose = argv.includes('--verbose') || process.env.MTL_DEBUG === '1';
  try {
    const index = argv.findIndex((a) => !a.startsWith('-'));
    const globalFlags = index === -1 ? argv : argv.slice(0, index);
    const info = packageInfo();
    if (globalFlags.includes('--version') || globalFlags.includes('-V')) {
      output.out(`${info.version}\n`);
      return EXIT.ok;
    }
    if (index === -1) {
      const unknown = globalFlags.find((f) => !['--help', '-h', '--verbose'].includes(f));
      if (unknown) {
        throw new MtlError({
          code: 'cli.unknown_option',
          path: 'mtl',
          expected: 'a command first (mtl <command> [options]), or --help, --version',
          found: `the option "${unknown}" with no command`,
          fix: 'mtl --help lists the commands',
        });
      }
      output.out(globalHelp(commands, info.name, info.version));
      return globalFlags.length > 0 ? EXIT.ok : EXIT.usage;
    }
    const name = argv[index]!;
    const command = commands.find((c) => c.name === name);
    if (!command) {
      const near = closest(name, commands.map((c) => c.name));
      throw new MtlError({
        code: 'cli.unknown_command',
        path: 'mtl',
        expected: `one of the commands ${commands.map((c) => c.name).join(', ')}`,
        found: `"${name}"`,
        fix: near ? `did you mean "mtl ${near}"?` : 'mtl --help lists the commands',
      });
    }
    const rest = [...globalFlags, ...argv.slice(index + 1)];
    const { positionals, values } = parseCommandArgs(command, rest);
    if (values.help) {
      output.out(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run({ positionals, values, verbose, log: (line) => output.out(line + '\n') });
  } catch (error) {
    return report(error, output, verbose);
  }
}

/** Print an error as one coded block and choose the exit code (also used for errors that escape a command, e.g. from a timer). */
export function report(error: unknown, output: CliOutput, verbose: boolean): number {
  const coded = error instanceof MtlError ? error : fromSystemError(error);
  if (coded) {
    output.err(`error [${coded.code}] ${coded.path}\n  expected: ${coded.expected}\n  found:    ${coded.found}${coded.fix ? `\n  fix:      ${coded.fix}` : ''}\n`);
    return coded.code.startsWith('cli.') ? EXIT.usage : EXIT.error;
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  output.err(
    `error [internal] ${message}\n  this is a bug in mtl: please report it with the command you ran` +
      (verbose && error instanceof Error && error.stack ? `\n${error.stack}\n` : '\n  (--verbose or MTL_DEBUG=1 prints the stack trace)\n'),
  );
  return EXIT.error;
}

const SYSTEM_ERRORS: Record<string, { found: string; fix: string }> = {
  ENOENT: { found: 'no such file or folder', fix: 'check the path' },
  EACCES: { found: 'permission denied', fix: 'check the permissions, or choose a folder you can write (--run-dir)' },
  EPERM: { found: 'operation not permitted', fix: 'check the permissions, or choose another folder (--run-dir)' },
  EROFS: { found: 'a read-only file system', fix: 'choose a writable folder (--run-dir)' },
  ENOSPC: { found: 'no space left on the device', fix: 'free some disk space, then resume with --resume' },
  EDQUOT: { found: 'the disk quota is exhausted', fix: 'free some space, then resume with --resume' },
  EISDIR: { found: 'a folder', fix: 'give the path of a file' },
  ENOTDIR: { found: 'a file where a folder was expected', fix: 'check the path' },
  EMFILE: { found: 'too many open files', fix: 'raise the limit (ulimit -n) or close other programs' },
  EADDRINUSE: { found: 'the port is in use', fix: 'choose another port' },
};

/** A Node system error (ENOENT, EACCES, ENOSPC...) as a coded error naming the file. */
function fromSystemError(error: unknown): MtlError | undefined {
  const e = error as NodeJS.ErrnoException | null;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || !(e.code in SYSTEM_ERRORS)) return undefined;
  const known = SYSTEM_ERRORS[e.code]!;
  return new MtlError({
    code: `io.${e.code.toLowerCase()}`,
    path: e.path ?? e.syscall ?? 'file system',
    expected: e.syscall ? `to ${e.syscall} it` : 'a usable file',
    found: known.found,
    fix: known.fix,
  });
}
