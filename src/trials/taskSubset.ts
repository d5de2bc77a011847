import { closeSync, openSync, readSync } from 'node:fs';
import { MtlError, closest } from '../errors.js';
import { parseCsv } from '../data/csvParse.js';
import type { ExperimentConfig } from '../experiment/config.js';

/**
 * The experiment restricted to some of its tasks (a trial's `tasks` override; the
 * single-task baselines; the task groups of a grouping search), as plain data. The
 * tasks keep the experiment's order, so `right+left` is the same trial as
 * `left+right`. The inputs stay those of the whole experiment: CSV data whose features
 * are "every other column" (`features: rest`, or none given) gets its feature columns
 * listed explicitly, without the label columns of the tasks left out, which would
 * otherwise become inputs.
 *
 * @param input - the experiment as plain data (overrides already applied)
 * @param base - the experiment the names are checked against
 * @param names - task names, in any order
 * @param where - how the override is named in errors
 */
export function selectTasks(input: Record<string, unknown>, base: ExperimentConfig, names: readonly string[], where: string): Record<string, unknown> {
  const all = (input.tasks as Array<{ name: string; columns?: string[] }>) ?? [];
  const known = all.map((t) => t.name);
  const seen = new Set<string>();
  for (const name of names) {
    if (!known.includes(name)) {
      const near = closest(name, known);
      throw new MtlError({
        code: 'config.unknown_task',
        path: where,
        expected: `names of the experiment's tasks [${known.join(', ')}]`,
        found: JSON.stringify(name),
        fix: near ? `did you mean "${near}"?` : `e.g. ${known.slice(0, 2).join('+')}`,
      });
    }
    if (seen.has(name)) {
      throw new MtlError({ code: 'config.duplicate_task', path: where, expected: 'each task named once', found: `"${name}" twice`, fix: `write ${[...new Set(names)].join('+')}` });
    }
    seen.add(name);
  }
  const output: Record<string, unknown> = { ...input, tasks: all.filter((t) => seen.has(t.name)) };
  const data = input.data as { source?: string; path?: string; features?: unknown } | undefined;
  if (data?.source === 'csv' && (data.features === undefined || data.features === 'rest') && seen.size < all.length && typeof data.path === 'string') {
    const header = csvHeader(data.path);
    if (header) {
      const labels = new Set(base.tasks.flatMap((t) => t.columns ?? []));
      for (const t of all) for (const c of t.columns ?? []) labels.add(c);
      output.data = { ...data, features: header.filter((h) => !labels.has(h)) };
    }
  }
  return output;
}

/** The header of a CSV file (its first record), or undefined when the file cannot be read (the data loader reports that). */
function csvHeader(path: string): string[] | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const chunk = Buffer.alloc(1 << 16);
    const length = readSync(fd, chunk, 0, chunk.length, 0);
    const text = chunk.subarray(0, length).toString('utf8');
    const end = text.search(/\r?\n|\r/);
    return parseCsv(end === -1 ? text : text.slice(0, end), path).header;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
