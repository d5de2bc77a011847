import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { MtlError } from '../errors.js';
import { isRunFolder, readRun, type RunData } from './runFolder.js';
import { parseAffinity, parseGrouping, type AffinityMatrix, type TaskGrouping } from './taskGroupsFile.js';

/** A sweep folder: trial run folders plus sweep.json, and where present the sweep's own affinity.json / grouping.json. */
export interface SweepData {
  dir: string;
  name: string;
  /** Per trial folder (absolute): the configuration label and seed sweep.json gives it, when it does. */
  trials: Map<string, { label?: string; seed?: number }>;
  affinity?: AffinityMatrix;
  grouping?: TaskGrouping;
  problems: string[];
}

/** The runs and sweeps a report draws from. */
export interface ReportInputs {
  runs: RunData[];
  sweeps: SweepData[];
}

/** How deep below a given folder run folders are looked for (runs/<table>/<experiment>/<run>). */
const SEARCH_DEPTH = 3;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Run folders at or below `dir` (not inside a run folder: its baselines/ are part of it), sorted by path. */
export function findRunFolders(dir: string, depth = SEARCH_DEPTH): string[] {
  if (isRunFolder(dir)) return [dir];
  if (depth === 0) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .map((e) => e.name)
    .sort()
    .flatMap((name) => findRunFolders(join(dir, name), depth - 1));
}

/**
 * Read a sweep.json loosely: an array of rows under `rows`, `configurations`, `trials`
 * or `runs` (or the file itself an array); a row names its trial folder by `runDir`,
 * `dir`, `folder`, `path` or `run` (relative to the sweep folder), its configuration by
 * `label`, `configuration`, `name` or `id`, and may give `seed`. Rows may also hold
 * a `trials` array of such folders sharing the row's label.
 */
export function readSweep(folder: string): SweepData {
  const dir = resolve(folder);
  const problems: string[] = [];
  const trials = new Map<string, { label?: string; seed?: number }>();
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
  } catch (error) {
    problems.push(`sweep.json could not be read (${(error as Error).message.split('\n')[0]}): its trial folders are read without its labels`);
  }
  const rows = Array.isArray(json) ? json : isRecord(json) ? [json.rows, json.configurations, json.trials, json.runs].find(Array.isArray) ?? [] : [];
  const folderOf = (r: Record<string, unknown>) => [r.runDir, r.dir, r.folder, r.path, r.run].find((v) => typeof v === 'string') as string | undefined;
  const labelOf = (r: Record<string, unknown>) => [r.label, r.configuration, r.name, r.id].find((v) => typeof v === 'string') as string | undefined;
  for (const row of rows.filter(isRecord)) {
    const label = labelOf(row);
    const nested = Array.isArray(row.trials) ? row.trials : [];
    for (const t of [row, ...nested]) {
      const f = typeof t === 'string' ? t : isRecord(t) ? folderOf(t) : undefined;
      if (!f) continue;
      const seed = isRecord(t) && typeof t.seed === 'number' ? t.seed : typeof row.seed === 'number' ? row.seed : undefined;
      const tLabel = (isRecord(t) && t !== row ? labelOf(t) : undefined) ?? label;
      trials.set(resolve(dir, f), { ...(tLabel ? { label: tLabel } : {}), ...(seed !== undefined ? { seed } : {}) });
    }
  }
  const side = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as unknown;
    } catch {
      problems.push(`${file} of the sweep could not be read: left out`);
      return undefined;
    }
  };
  const affinityJson = side('affinity.json');
  const affinity = affinityJson === undefined ? undefined : parseAffinity(affinityJson);
  if (affinityJson !== undefined && !affinity) problems.push('affinity.json of the sweep is in no shape the report knows: left out');
  const groupingJson = side('grouping.json');
  const grouping = groupingJson === undefined ? undefined : parseGrouping(groupingJson);
  if (groupingJson !== undefined && !grouping) problems.push('grouping.json of the sweep is in no shape the report knows: left out');
  const name = isRecord(json) && typeof json.name === 'string' ? json.name : basename(dir);
  return { dir, name, trials, ...(affinity ? { affinity } : {}), ...(grouping ? { grouping } : {}), problems };
}

/**
 * Resolve the report's arguments into runs: a run folder is one run; a sweep folder
 * (with sweep.json) is its trial runs; any other folder is the run folders below it.
 * The same run given twice is read once. A path that does not exist, or holds no run,
 * is a coded error naming it.
 */
export function collectInputs(paths: readonly string[]): ReportInputs {
  const runs: RunData[] = [];
  const sweeps: SweepData[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    if (!existsSync(path)) {
      throw new MtlError({ code: 'report.missing_folder', path, expected: 'a run folder, a sweep folder or a folder of runs', found: 'no such file or folder', fix: 'check the path (runs are in runs/<experiment name> by default)' });
    }
    if (!statSync(path).isDirectory()) {
      throw new MtlError({ code: 'report.not_a_folder', path, expected: 'a run folder, a sweep folder or a folder of runs', found: 'a file', fix: `give the folder that holds it: ${resolve(path, '..')}` });
    }
    const isSweep = existsSync(join(path, 'sweep.json'));
    const sweep = isSweep ? readSweep(path) : undefined;
    if (sweep) sweeps.push(sweep);
    const folders = isSweep ? findRunFolders(path, SEARCH_DEPTH).filter((f) => resolve(f) !== resolve(path)) : findRunFolders(path);
    if (folders.length === 0 && !(sweep && (sweep.affinity || sweep.grouping))) {
      throw new MtlError({
        code: 'report.no_runs',
        path,
        expected: 'a run folder (config.json, metrics.jsonl or summary.json) or a folder holding run folders',
        found: 'a folder without any',
        fix: 'train first (mtl train <experiment>), or give the run folder itself',
      });
    }
    for (const f of folders) {
      const real = realpathSync(f);
      if (seen.has(real)) continue;
      seen.add(real);
      runs.push(readRun(f));
    }
  }
  return { runs, sweeps };
}

/** A short name for a run folder relative to the common parent of all inputs (for headings and legends). */
export function shortRunName(run: RunData, all: readonly RunData[]): string {
  if (all.length <= 1) return basename(run.dir);
  const parts = all.map((r) => r.dir.split(/[\\/]/));
  let common = 0;
  while (parts.every((p) => p.length > common + 1 && p[common] === parts[0]![common])) common += 1;
  const root = parts[0]!.slice(0, common).join('/') || '/';
  return relative(root, run.dir) || basename(run.dir);
}

/** The configuration label a sweep's sweep.json gives a run, if any (for grouping and tables). */
export function sweepLabeler(sweeps: readonly SweepData[]): (run: RunData) => string | undefined {
  return (run) => {
    for (const s of sweeps) {
      const t = s.trials.get(run.dir);
      if (t?.label) return t.label;
    }
    return undefined;
  };
}
