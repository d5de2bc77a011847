import { MtlError, closest, describeValue } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { ROOT, acceptsOnlyText, childNode, isNamedArray, keysOfSchema, type PathNode } from './schemaPaths.js';
import { selectTasks } from './taskSubset.js';

/**
 * A trial's changes to its experiment: field paths in dot notation and their values,
 * e.g. `{ seed: 1, 'weighting.method': 'pcgrad', 'model.options.experts': 4 }`. Any
 * field of the experiment file can be set: `training.epochs`, `data.trainSize`,
 * `model.encoder.hidden`, `weighting.options.<option>`, and a task's own fields by task
 * name (`tasks.left.head.dropout`). The key `tasks` alone picks a subset of the
 * experiment's tasks by name (`{ tasks: ['left', 'right'] }`, or `'left+right'`). A
 * value of `null` removes an optional field (`'training.schedule': null`).
 */
export type Overrides = Readonly<Record<string, unknown>>;

/** How an override key is named in error messages (`--set weighting.method`, `sweep.set.seed`). @defaultValue overrides["key"] */
export type DescribeOverride = (key: string) => string;

/** The default naming of an override in errors: `overrides["weighting.method"]`. */
export const describeOverrideKey: DescribeOverride = (key) => `overrides[${JSON.stringify(key)}]`;

/** The key that picks a task subset. */
export const TASKS_KEY = 'tasks';

/**
 * Blocks of the experiment file that no trial reads: the sweep's own settings and those
 * of `mtl group`. A trial's config leaves them out (so adding one to the experiment does
 * not change any trial, and a finished sweep is still found), and they cannot be overridden.
 */
export const NOT_TRIAL_FIELDS = ['sweep', 'grouping'] as const;

/**
 * Check that an override key names a field of the experiment (did-you-mean on a typo;
 * task fields by the experiment's task names), and return the schema there. Throws
 * `config.unknown_key` / `config.unknown_task` naming the override.
 */
export function checkOverrideKey(base: ExperimentConfig, key: string, describe: DescribeOverride = describeOverrideKey): PathNode {
  const segments = key.split('.');
  if (key.length === 0 || segments.some((s) => s.length === 0)) {
    throw new MtlError({
      code: 'config.unknown_key',
      path: describe(key),
      expected: 'a field path in dot notation, e.g. weighting.method or training.optimizer.learningRate',
      found: JSON.stringify(key),
      fix: 'write the path of a field of the experiment file, its parts joined by "."',
    });
  }
  if ((NOT_TRIAL_FIELDS as readonly string[]).includes(segments[0]!)) {
    throw new MtlError({
      code: 'config.not_a_trial_field',
      path: describe(key),
      expected: 'a field of what a trial trains (data, tasks, model, weighting, training, seed)',
      found: `"${key}", a field of the ${segments[0]} block, which no trial reads`,
      fix: segments[0] === 'grouping' ? 'run mtl group once per setting instead (see docs/grouping.md)' : 'set the sweep itself with --set and --seeds',
    });
  }
  let node: PathNode = ROOT;
  let value: unknown = base;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const here = segments.slice(0, i).join('.');
    if (isNamedArray(node)) {
      const items = (Array.isArray(value) ? value : []) as Array<{ name?: string }>;
      const names = items.map((t) => t.name ?? '');
      const index = /^[0-9]+$/.test(segment) ? Number(segment) : names.indexOf(segment);
      if (index < 0 || index >= items.length) {
        const near = closest(segment, names);
        throw new MtlError({
          code: 'config.unknown_task',
          path: describe(key),
          expected: `after "${here}." one of the experiment's names [${names.join(', ')}] (or an index from 0 to ${items.length - 1})`,
          found: JSON.stringify(segment),
          fix: near ? `did you mean "${[...segments.slice(0, i), near, ...segments.slice(i + 1)].join('.')}"?` : `e.g. ${here}.${names[0]}${segments.length > i + 1 ? '.' + segments.slice(i + 1).join('.') : ''}`,
        });
      }
      node = childNode(node, '*')!;
      value = items[index];
      continue;
    }
    const child = childNode(node, segment);
    if (!child) {
      const keys = (node.kind === 'schema' ? keysOfSchema(node.schema) : undefined) ?? [];
      const near = closest(segment, keys);
      const full = here ? `${here}.${segment}` : segment;
      throw new MtlError({
        code: 'config.unknown_key',
        path: describe(key),
        expected: keys.length > 0 ? `${here ? `under "${here}" ` : ''}one of the keys [${keys.join(', ')}]` : `no field under "${here}" (it is a value, not a section)`,
        found: `the unknown key "${full}"`,
        fix: near ? `did you mean "${[...segments.slice(0, i), near].join('.')}"?` : 'see the experiment file reference (docs) for the fields',
      });
    }
    node = child;
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return node;
}

/**
 * A `--set` value as written on the command line, read by what the field takes: text
 * fields (method, architecture, paths) keep the text as it is; other fields read it as
 * JSON where it parses (`0.5`, `true`, `[64, 64]`, `null`) and as text otherwise. For
 * `tasks`, names joined by `+` (`left+right`) or a JSON array.
 */
export function parseOverrideText(base: ExperimentConfig, key: string, text: string, describe: DescribeOverride = describeOverrideKey): unknown {
  if (key === TASKS_KEY) {
    const trimmed = text.trim();
    if (trimmed.startsWith('[')) return parseJson(trimmed) ?? trimmed;
    return trimmed.split('+').map((s) => s.trim());
  }
  const node = checkOverrideKey(base, key, describe);
  if (acceptsOnlyText(node)) return text;
  const parsed = parseJson(text.trim());
  return parsed === undefined ? text : parsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The experiment with the overrides applied, as plain data (not yet validated): field
 * edits first, in the order given, then the task subset. The result has no `sweep` or
 * `grouping` block ({@link NOT_TRIAL_FIELDS}) and `baselines: false` (the caller trains
 * baselines as trials of their own).
 */
export function applyOverrides(base: ExperimentConfig, overrides: Overrides, describe: DescribeOverride = describeOverrideKey): Record<string, unknown> {
  const input = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const block of NOT_TRIAL_FIELDS) delete input[block];
  input.baselines = false;
  for (const [key, value] of Object.entries(overrides)) {
    if (key === TASKS_KEY) continue;
    checkOverrideKey(base, key, describe);
    if (value === undefined) {
      throw new MtlError({ code: 'config.bad_value', path: describe(key), expected: 'a value (null removes an optional field)', found: 'undefined' });
    }
    setPath(input, key.split('.'), value);
  }
  if (TASKS_KEY in overrides) {
    const names = taskNamesOf(overrides[TASKS_KEY], describe(TASKS_KEY));
    return selectTasks(input, base, names, describe(TASKS_KEY));
  }
  return input;
}

/** The task names of a `tasks` override: an array of names, or names joined by "+". */
export function taskNamesOf(value: unknown, where: string): string[] {
  const names = typeof value === 'string' ? value.split('+').map((s) => s.trim()) : value;
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n.length === 0)) {
    throw new MtlError({
      code: 'config.bad_value',
      path: where,
      expected: 'a non-empty list of task names (["left", "right"], or "left+right")',
      found: describeValue(value),
      fix: 'name one or more of the experiment\'s tasks',
    });
  }
  return names as string[];
}

function setPath(target: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let node: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    let key: string | number = segment;
    if (Array.isArray(node)) {
      const items = node as Array<{ name?: string }>;
      key = /^[0-9]+$/.test(segment) ? Number(segment) : items.findIndex((t) => t?.name === segment);
    }
    const container = node as Record<string | number, unknown>;
    if (last) {
      if (value === null) delete container[key];
      else container[key] = JSON.parse(JSON.stringify(value)) as unknown;
      return;
    }
    const next = container[key];
    if (next === null || typeof next !== 'object') container[key] = {};
    node = container[key] as Record<string, unknown>;
  }
}
