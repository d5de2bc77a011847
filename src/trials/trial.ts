import { MtlError } from '../errors.js';
import { checkExperiment } from '../experiment/checkExperiment.js';
import { validateExperiment, type ExperimentConfig } from '../experiment/config.js';
import { applyOverrides, describeOverrideKey, taskNamesOf, TASKS_KEY, type DescribeOverride, type Overrides } from './overrides.js';
import { canonicalOverrides, shortHash, trialId } from './trialId.js';

/**
 * A trial: an experiment variant with its own run folder. `config` is the experiment
 * with `overrides` applied, validated by the experiment schema and checked in full
 * (tasks, method and options, architecture and options) when the trial is defined, so
 * a bad variant is refused before any trial of a sweep starts. `id` names the run
 * folder under the sweep folder (see {@link trialId}); an id may have one group prefix
 * (`single-task/left__seed-0`), a subfolder.
 */
export interface Trial {
  readonly id: string;
  readonly overrides: Overrides;
  readonly config: ExperimentConfig;
}

/** Options of {@link defineTrial}. */
export interface DefineTrialOptions {
  /** How an override key is named in error messages. @defaultValue overrides["key"] */
  describe?: DescribeOverride;
  /** The trial's id. @defaultValue {@link trialId}(overrides) */
  id?: string;
}

/**
 * Define a trial: apply the overrides to the experiment, validate the result with the
 * experiment schema and check it with `checkExperiment`. Every problem is the usual
 * coded error, its path naming the override that caused it (`--set training.epochs=0:
 * training.epochs`) and the trial.
 *
 * @example
 * ```ts
 * const trial = defineTrial(readExperiment('examples/multimnist.yaml'), { 'weighting.method': 'pcgrad', seed: 1 });
 * trial.id; // 'method-pcgrad__seed-1'
 * ```
 */
export function defineTrial(base: ExperimentConfig, overrides: Overrides, options: DefineTrialOptions = {}): Trial {
  const describe = options.describe ?? describeOverrideKey;
  const input = applyOverrides(base, overrides, describe);
  const normalized = normalizeTaskSubset(base, overrides);
  const id = options.id ?? trialId(normalized);
  return { id, overrides: normalized, config: checked(input, normalized, id, describe) };
}

/** A `tasks` override as a list of names in the experiment's order (`right+left` is the trial `left+right`). */
function normalizeTaskSubset(base: ExperimentConfig, overrides: Overrides): Overrides {
  if (!(TASKS_KEY in overrides)) return { ...overrides };
  const names = taskNamesOf(overrides[TASKS_KEY], TASKS_KEY);
  return { ...overrides, [TASKS_KEY]: base.tasks.map((t) => t.name).filter((n) => names.includes(n)) };
}

/** Validate and check a trial's experiment, naming the override behind a problem. */
function checked(input: Record<string, unknown>, overrides: Overrides, id: string, describe: DescribeOverride): ExperimentConfig {
  try {
    return checkExperiment(validateExperiment(input, `trial ${id}`));
  } catch (error) {
    if (!(error instanceof MtlError)) throw error;
    const where = error.path.startsWith(`trial ${id}: `) ? error.path.slice(`trial ${id}: `.length) : error.path;
    const field = where.replace(/\[(\d+)\]/g, '.$1');
    const culprit = Object.keys(overrides).find((key) => key !== TASKS_KEY && (field === key || field.startsWith(key + '.') || key.startsWith(field + '.')));
    const named = culprit !== undefined ? `${describe(culprit)}=${valueText(overrides[culprit])} (trial ${id})` : `trial ${id}`;
    throw new MtlError({
      code: error.code,
      path: `${named}: ${where}`,
      expected: error.expected,
      found: error.found,
      ...(error.fix ? { fix: error.fix } : {}),
    });
  }
}

/** A value as it would be written after `--set key=`. */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Define several trials of one experiment, each checked as {@link defineTrial} does;
 * the same overrides twice are refused (`trials.duplicate`). Ids that differ only in
 * letter case (one folder on case-insensitive file systems) get a hash suffix.
 */
export function defineTrials(base: ExperimentConfig, list: readonly Overrides[], options: Omit<DefineTrialOptions, 'id'> = {}): Trial[] {
  const trials = list.map((overrides) => defineTrial(base, overrides, options));
  return disambiguate(trials);
}

/** Refuse the same trial twice; give ids that collide on case-insensitive file systems a hash suffix. */
export function disambiguate(trials: readonly Trial[]): Trial[] {
  const byKey = new Map<string, Trial>();
  for (const t of trials) {
    const key = `${t.id}\n${canonicalOverrides(t.overrides)}`;
    if (byKey.has(key)) {
      throw new MtlError({ code: 'trials.duplicate', path: `trial ${t.id}`, expected: 'each trial once', found: `the overrides ${canonicalOverrides(t.overrides)} twice`, fix: 'remove the repeated trial' });
    }
    byKey.set(key, t);
  }
  const groups = new Map<string, Trial[]>();
  for (const t of trials) groups.set(t.id.toLowerCase(), [...(groups.get(t.id.toLowerCase()) ?? []), t]);
  return trials.map((t) => (groups.get(t.id.toLowerCase())!.length > 1 ? { ...t, id: `${t.id}__${shortHash(canonicalOverrides(t.overrides))}` } : t));
}

/** The folder group of single-task baseline trials. */
export const SINGLE_TASK_GROUP = 'single-task';

/** Whether an override changes the single-task network of a task (its data, encoder, training budget, seed or the task itself). */
function mattersForSingleTask(key: string, task: string): boolean {
  if (key === TASKS_KEY || key === 'name' || key === 'baselines' || key === 'sweep') return false;
  if (key === 'weighting' || key.startsWith('weighting.')) return false;
  if (key === 'model.architecture' || key === 'model.options' || key.startsWith('model.options.')) return false;
  if (key.startsWith('tasks.')) return key.split('.')[1] === task;
  return true;
}

/**
 * The single-task baseline of one task of a trial: a plain single-task network of the
 * experiment's encoder (hard sharing with one task, equal weighting, no architecture
 * options), with the trial's data, encoder, training budget and seed. Trials that
 * differ only in method, architecture, their options or the task subset share it: its
 * id (`single-task/left__seed-0`) and config are the same for all of them.
 */
export function singleTaskTrial(base: ExperimentConfig, overrides: Overrides, task: string, options: Omit<DefineTrialOptions, 'id'> = {}): Trial {
  const describe = options.describe ?? describeOverrideKey;
  const kept = Object.fromEntries(Object.entries(overrides).filter(([k]) => mattersForSingleTask(k, task)));
  const input = applyOverrides(base, { ...kept, [TASKS_KEY]: taskNamesOf([task], describe(TASKS_KEY)) }, describe);
  const model = input.model as { encoder: unknown };
  input.model = { architecture: 'hard-sharing', encoder: model.encoder };
  input.weighting = { method: 'equal' };
  const name = /^(?!\.)(?!.*__)[A-Za-z0-9._-]+$/.test(task) ? task : `task-${shortHash(task)}`;
  const rest = Object.keys(kept).length > 0 ? `__${trialId(kept)}` : '';
  const id = `${SINGLE_TASK_GROUP}/${name}${rest}`;
  return { id, overrides: { ...kept, [TASKS_KEY]: [task] }, config: checked(input, kept, id, describe) };
}
