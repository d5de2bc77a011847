import fs from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { MtlError } from '../errors.js';
import { fileError } from './fileErrors.js';

/**
 * Run folders are marked: mtl writes `.mtl-run` into every folder it creates for a run
 * (and into an empty folder it is given), and deletes or overwrites only inside folders
 * that carry the mark. Everything that removes or replaces files of a run (`--force`,
 * checkpoint replacement, resume clean-up) goes through {@link assertRunFolder} and
 * {@link removeInsideRunFolder}, which also refuse the working directory, its parents,
 * the file-system root, the home folder, and a folder holding other runs.
 */

/** Name of the marker file of a run folder. */
export const RUN_MARKER = '.mtl-run';
const MARKER_FORMAT = 'mtl-run/1';

/** Whether `dir` is a folder carrying the run marker (a regular file written by mtl). */
export function isMarkedRunFolder(dir: string): boolean {
  try {
    if (!fs.lstatSync(dir).isDirectory()) return false;
    const marker = join(dir, RUN_MARKER);
    if (!fs.lstatSync(marker).isFile()) return false;
    const text = fs.readFileSync(marker, 'utf8');
    return (JSON.parse(text) as { format?: unknown }).format === MARKER_FORMAT;
  } catch {
    return false;
  }
}

/** Write the run marker into `dir` (which must exist). */
export function markRunFolder(dir: string): void {
  const marker = join(dir, RUN_MARKER);
  try {
    fs.writeFileSync(marker, JSON.stringify({ format: MARKER_FORMAT, createdBy: 'tfjs-multitask', created: new Date().toISOString() }) + '\n');
  } catch (error) {
    throw fileError(error, marker, 'write', 'the run folder marker');
  }
}

/**
 * Refuse a run folder location that must never be a run folder, whatever it holds: the
 * working directory or one of its parents, the file-system root, the home folder.
 *
 * @throws MtlError `run.unsafe_folder`.
 */
export function assertSafeRunLocation(dir: string): string {
  const abs = resolve(dir);
  const cwd = process.cwd();
  const why =
    abs === parse(abs).root
      ? 'the root of the file system'
      : abs === resolve(homedir())
        ? 'your home folder'
        : abs === cwd
          ? 'the working directory'
          : isInside(cwd, abs)
            ? 'a parent of the working directory'
            : undefined;
  if (why) {
    throw new MtlError({
      code: 'run.unsafe_folder',
      path: dir,
      expected: 'a run folder of its own (by default runs/<experiment name>)',
      found: `${abs}, ${why}`,
      fix: 'choose another --run-dir (or a plain experiment name); mtl never writes a run into, or deletes, a folder like this',
    });
  }
  return abs;
}

/**
 * Make `dir` a run folder to write into: create it (and its parents) with the marker
 * when it does not exist, mark it when it is an empty folder, accept it when it is
 * already marked. A non-empty folder without the marker is refused (it is not ours),
 * except, with `adoptLegacy`, a run folder of an older version of tfjs-multitask (config.json and a
 * checkpoint or metrics.jsonl), which is marked with a message. Nothing is written
 * before every check has passed.
 *
 * @returns whether the folder was created by this call.
 * @throws MtlError `run.unsafe_folder`, `run.not_a_run_folder`, `io.not_directory`, and file errors.
 */
export function ensureRunFolder(dir: string, options: { adoptLegacy?: boolean; log?: (line: string) => void } = {}): boolean {
  const abs = assertSafeRunLocation(dir);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(abs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, dir, 'read', 'the run folder');
  }
  if (!stat) {
    try {
      fs.mkdirSync(abs, { recursive: true });
    } catch (error) {
      throw fileError(error, dir, 'create', 'the run folder');
    }
    markRunFolder(abs);
    return true;
  }
  if (!stat.isDirectory()) {
    throw new MtlError({ code: 'io.not_directory', path: dir, expected: 'a run folder', found: 'a file', fix: 'choose another --run-dir' });
  }
  if (isMarkedRunFolder(abs)) return false;
  const entries = fs.readdirSync(abs);
  if (entries.length === 0) {
    markRunFolder(abs);
    return false;
  }
  const legacy = entries.includes('config.json') && ['checkpoint', 'search-checkpoint', 'metrics.jsonl', 'summary.json'].some((e) => entries.includes(e));
  if (legacy && options.adoptLegacy) {
    markRunFolder(abs);
    (options.log ?? ((l: string) => console.log(l)))(`run folder ${dir}: a run of an older version of tfjs-multitask (no ${RUN_MARKER}); marked it as a run folder`);
    return false;
  }
  throw new MtlError({
    code: 'run.not_a_run_folder',
    path: dir,
    expected: `a new or empty folder, or a run folder created by mtl (holding ${RUN_MARKER})`,
    found: `a folder of ${entries.length} entries without ${RUN_MARKER} (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''})`,
    fix: legacy
      ? `it looks like a run of an older version of tfjs-multitask: continue it with --resume, or mark it (touch ${join(dir, RUN_MARKER)})`
      : 'mtl writes runs only into folders it created: choose another --run-dir (or another experiment name)',
  });
}

/**
 * Check that `dir` is a marked run folder in a safe location before anything in it is
 * deleted or replaced.
 *
 * @throws MtlError `run.unsafe_folder`, `run.not_a_run_folder`.
 */
export function assertRunFolder(dir: string, action = 'change'): string {
  const abs = assertSafeRunLocation(dir);
  if (!isMarkedRunFolder(abs)) {
    throw new MtlError({
      code: 'run.not_a_run_folder',
      path: dir,
      expected: `a run folder created by mtl (holding ${RUN_MARKER}) to ${action} files in`,
      found: fs.existsSync(abs) ? `a folder without ${RUN_MARKER}` : 'no such folder',
      fix: `mtl only ${action === 'delete' ? 'deletes' : 'changes'} folders it created; choose another --run-dir, or, if this is a run folder of an older version of tfjs-multitask, mark it: touch ${join(dir, RUN_MARKER)}`,
    });
  }
  return abs;
}

/**
 * Remove `target` (a file or a folder, recursively; a symlink itself, never what it
 * points to), which must lie strictly inside the marked run folder `runDir`.
 *
 * @throws MtlError `run.unsafe_folder`, `run.not_a_run_folder`, `run.outside_run_folder`, and file errors.
 */
export function removeInsideRunFolder(runDir: string, target: string): void {
  const root = assertRunFolder(runDir, 'delete');
  const abs = resolve(target);
  if (!isInside(abs, root)) {
    throw new MtlError({
      code: 'run.outside_run_folder',
      path: target,
      expected: `a path inside the run folder ${runDir}`,
      found: abs === root ? 'the run folder itself' : 'a path outside it',
      fix: 'this is a bug in the caller: report it',
    });
  }
  try {
    fs.rmSync(abs, { recursive: true, force: true });
  } catch (error) {
    throw fileError(error, abs, 'remove', 'a file of the run folder');
  }
}

/**
 * Empty a run folder for `--force`: every entry except the marker and the files in
 * `keep` (the caller's lock) is removed. Refused for anything but a marked run folder in
 * a safe location, and for a folder holding other runs (a marked folder other than the
 * run's own `baselines/<task>`).
 *
 * @throws MtlError `run.unsafe_folder`, `run.not_a_run_folder`, `run.holds_other_runs`, and file errors.
 */
export function clearRunFolder(runDir: string, keep: readonly string[] = []): void {
  const root = assertRunFolder(runDir, 'delete');
  const others = foreignRuns(root);
  if (others.length > 0) {
    throw new MtlError({
      code: 'run.holds_other_runs',
      path: runDir,
      expected: 'a run folder holding one run (and its baselines/)',
      found: `other run folders inside it: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''}`,
      fix: 'choose another --run-dir, or remove the folder yourself if you mean to',
    });
  }
  for (const name of fs.readdirSync(root)) {
    if (name === RUN_MARKER || keep.includes(name)) continue;
    removeInsideRunFolder(root, join(root, name));
  }
}

/** Marked run folders inside `root` (two levels deep) that are not its own `baselines/<task>`. */
function foreignRuns(root: string): string[] {
  const found: string[] = [];
  const children = (dir: string) => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const child of children(root)) {
    const path = join(root, child);
    if (child !== 'baselines' && isMarkedRunFolder(path)) found.push(child);
    for (const grandchild of children(path)) {
      if (child === 'baselines') continue;
      if (isMarkedRunFolder(join(path, grandchild))) found.push(`${child}${sep}${grandchild}`);
    }
  }
  return found;
}

/** Whether `path` lies strictly inside `folder` (both absolute). */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The folder holding `path` (for replacing a sub-folder of a run folder). */
export function runFolderOf(path: string): string {
  return dirname(resolve(path));
}
