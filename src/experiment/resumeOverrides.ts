import { MtlError } from '../errors.js';
import type { SettingChange } from '../training/settingChanges.js';
import { OVERRIDABLE_FIELDS, type ExperimentConfig, type RunOverride } from './config.js';

/**
 * What a resumed run may change: the learning rate (to continue a diverged run from its
 * last good checkpoint more gently) and the number of epochs (to extend a run). Each
 * change is recorded in the run's config.json as an override with the step it takes
 * effect from, so that config.json still reproduces the run. Any other difference
 * between the experiment and the run is refused, naming every changed field.
 */

/** One field that differs between two experiments: its path and both values, as JSON text. */
export interface FieldChange {
  path: string;
  old: string;
  new: string;
}

/** Fields that do not describe how the multi-task model trains, so a resume ignores them. */
const IGNORED = new Set(['baselines', 'overrides', 'sweep']);

/**
 * Every leaf field that differs between two experiments (path, old and new value),
 * e.g. `training.epochs: 20 → 17`. Arrays are compared element by element when their
 * lengths agree, and as a whole otherwise.
 */
export function experimentDifferences(saved: unknown, requested: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  const text = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  const walk = (a: unknown, b: unknown, path: string) => {
    if (path === '' || !IGNORED.has(path)) {
      if (isObject(a) && isObject(b)) {
        for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])]) walk(a[key], b[key], path ? `${path}.${key}` : key);
        return;
      }
      if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        a.forEach((v, i) => walk(v, b[i], `${path}[${i}]`));
        return;
      }
      if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, old: text(a), new: text(b) });
    }
  };
  walk(saved, requested, '');
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value of an overridable field in a config. */
function fieldValue(config: ExperimentConfig, field: RunOverride['field']): number {
  return field === 'training.epochs' ? config.training.epochs : config.training.optimizer.learningRate;
}

function withField(config: ExperimentConfig, field: RunOverride['field'], value: number): ExperimentConfig {
  return field === 'training.epochs'
    ? { ...config, training: { ...config.training, epochs: value } }
    : { ...config, training: { ...config.training, optimizer: { ...config.training.optimizer, learningRate: value } } };
}

/** The value a field had when the run started (before any override). */
export function originalValue(config: ExperimentConfig, field: RunOverride['field']): number {
  const first = (config.overrides ?? []).find((o) => o.field === field);
  return first ? first.old : fieldValue(config, field);
}

/** What {@link resolveResume} decided. */
export interface ResumeDecision {
  /** The run's config as it continues: the saved one, with the new overrides applied and recorded. */
  config: ExperimentConfig;
  /** Overrides added by this resume (empty when nothing changed). */
  added: RunOverride[];
  /** Lines to log: each override, and fields kept at an overridden value. */
  notes: string[];
}

/**
 * Decide whether `requested` may resume the run that `saved` (its config.json)
 * describes, at training step `step` with `epochsDone` epochs complete.
 * - A learning-rate or epoch count that differs from the run's current value becomes an
 *   override from `step` on (epochs no fewer than those done). A value equal to what the
 *   run started with, after an override, keeps the override (the experiment file still
 *   says the old value; pass the new one again to change it).
 * - Any other changed field refuses the resume, each listed as `path: old → new`.
 *
 * @throws MtlError `run.config_changed`, `run.bad_override`.
 */
export function resolveResume(
  saved: ExperimentConfig,
  requested: ExperimentConfig,
  context: { step: number; epochsDone: number; configPath: string },
): ResumeDecision {
  const allowed = OVERRIDABLE_FIELDS as readonly string[];
  const differences = experimentDifferences(saved, requested);
  const refused = differences.filter((d) => !allowed.includes(d.path));
  if (refused.length > 0) {
    throw new MtlError({
      code: 'run.config_changed',
      path: context.configPath,
      expected: 'the experiment the run was started with (only training.optimizer.learningRate and training.epochs may change on --resume)',
      found: `${refused.length} changed field${refused.length > 1 ? 's' : ''}: ${refused.map((d) => `${d.path}: ${d.old} → ${d.new}`).join('; ')}`,
      fix: 'resume with the original experiment file, change only the learning rate (--learning-rate) or the epochs (--epochs), or start a new run (--force, or another --run-dir)',
    });
  }
  let config = saved;
  const added: RunOverride[] = [];
  const notes: string[] = [];
  for (const field of OVERRIDABLE_FIELDS) {
    const current = fieldValue(saved, field);
    const wanted = fieldValue(requested, field);
    if (wanted === current) continue;
    if (wanted === originalValue(saved, field)) {
      notes.push(`${field} stays ${current} (set on an earlier resume; the experiment's ${wanted} is the value the run started with)`);
      continue;
    }
    if (saved.model.architecture === 'adashare') {
      throw new MtlError({
        code: 'run.bad_override',
        path: field,
        expected: `the run's ${current} (an AdaShare run cannot change its settings on resume: its policy search checkpoint is tied to them)`,
        found: String(wanted),
        fix: 'resume with the original values, or start a new run (--force)',
      });
    }
    if (field === 'training.epochs' && wanted < context.epochsDone) {
      throw new MtlError({
        code: 'run.bad_override',
        path: field,
        expected: `at least the ${context.epochsDone} epochs the run has already trained`,
        found: String(wanted),
        fix: `pass --epochs ${context.epochsDone} or more, or start a new run (--force)`,
      });
    }
    const override: RunOverride = { step: context.step, field, old: current, new: wanted };
    added.push(override);
    config = withField(config, field, wanted);
    notes.push(`override from step ${context.step}: ${field} ${current} → ${wanted} (recorded in ${context.configPath})`);
  }
  if (added.length > 0) config = { ...config, overrides: [...(saved.overrides ?? []), ...added] };
  return { config, added, notes };
}

/** A run's overrides as the trainer's setting changes (see settingChanges.ts). */
export function settingChanges(config: ExperimentConfig): SettingChange[] {
  return (config.overrides ?? []).map((o) => ({ step: o.step, setting: o.field === 'training.epochs' ? 'epochs' : 'learningRate', old: o.old, new: o.new }));
}
