import type { ExperimentConfig } from '../experiment/config.js';
import type { DescribeOverride, Overrides } from '../trials/overrides.js';
import { defineTrial, disambiguate, singleTaskTrial, type Trial } from '../trials/trial.js';
import { shortHash, shortKey } from '../trials/trialId.js';
import { gridConfigurations, type SweepGrid } from './sweepGrid.js';

/** One configuration of a sweep: its overrides (without the seed) and its trial for each seed. */
export interface SweepConfiguration {
  /** The configuration's overrides, e.g. `{ 'weighting.method': 'pcgrad' }`. */
  overrides: Overrides;
  /** A short label from the fields that vary across the configurations, e.g. `method=pcgrad, architecture=mmoe`. */
  label: string;
  /** Seed → its trial. */
  trials: ReadonlyMap<number, Trial>;
}

/** Everything a sweep trains, defined and checked before anything starts. */
export interface SweepPlan {
  base: ExperimentConfig;
  grid: SweepGrid;
  configurations: SweepConfiguration[];
  /** The single-task baselines, each once: a trial's baselines are `baselineOf.get(trial.id)`, task → trial. */
  baselines: Trial[];
  baselineOf: ReadonlyMap<string, ReadonlyMap<string, Trial>>;
  /** Every trial in the order they are handed to the runner: seed by seed, the baselines first. */
  trials: Trial[];
}

/**
 * Define every trial of a sweep: each configuration of the grid with each seed, and
 * the single-task baselines they are compared with — one plain single-task network
 * per task per seed, shared by every configuration that has the same data, encoder and
 * training budget (a grid over methods or architectures trains each task's baseline
 * once per seed; a grid over `training.epochs` trains them per budget). Each trial is
 * validated by the experiment schema and `checkExperiment` here, so a bad value stops
 * the sweep before its first trial.
 */
export function planSweep(base: ExperimentConfig, grid: SweepGrid, describe?: DescribeOverride): SweepPlan {
  const options = describe ? { describe } : {};
  const combos = gridConfigurations(grid);
  // The fields whose value differs between configurations (absent counts as a value) name the rows.
  const keys = [...new Set(combos.flatMap((c) => Object.keys(c)))];
  const varying = keys.filter((k) => new Set(combos.map((c) => JSON.stringify(c[k]))).size > 1);
  const configurations: SweepConfiguration[] = combos.map((overrides) => ({
    overrides,
    label: configurationLabel(overrides, varying.length > 0 ? varying : Object.keys(overrides)),
    trials: new Map(),
  }));
  const baselines = new Map<string, Trial>();
  const baselinesOf = new Map<Trial, Map<string, Trial>>();
  const ordered: Trial[] = [];
  for (const seed of grid.seeds) {
    const ofSeed: Trial[] = [];
    const baselinesOfSeed: Trial[] = [];
    for (const configuration of configurations) {
      const overrides = { ...configuration.overrides, seed };
      const trial = defineTrial(base, overrides, options);
      const mine = new Map<string, Trial>();
      for (const task of trial.config.tasks) {
        let baseline = singleTaskTrial(base, overrides, task.name, options);
        const known = baselines.get(baseline.id);
        if (known && JSON.stringify(known.config) !== JSON.stringify(baseline.config)) {
          // Same id, another network (an override the id leaves out changes it): keep both apart.
          baseline = { ...baseline, id: `${baseline.id}__${shortHash(JSON.stringify(baseline.config))}` };
        }
        const existing = baselines.get(baseline.id);
        if (existing) baseline = existing;
        else {
          baselines.set(baseline.id, baseline);
          baselinesOfSeed.push(baseline);
        }
        mine.set(task.name, baseline);
      }
      baselinesOf.set(trial, mine);
      (configuration.trials as Map<number, Trial>).set(seed, trial);
      ofSeed.push(trial);
    }
    ordered.push(...baselinesOfSeed, ...ofSeed);
  }
  // Ids that collide on case-insensitive file systems are told apart once, over every trial.
  const final = disambiguate(ordered);
  const renamed = new Map(ordered.map((t, i) => [t, final[i]!]));
  const rename = (t: Trial) => renamed.get(t)!;
  return {
    base,
    grid,
    configurations: configurations.map((c) => ({ ...c, trials: new Map([...c.trials].map(([seed, t]) => [seed, rename(t)])) })),
    baselines: [...baselines.values()].map(rename),
    baselineOf: new Map([...baselinesOf].map(([t, m]) => [rename(t).id, new Map([...m].map(([task, b]) => [task, rename(b)]))])),
    trials: final,
  };
}

/** `method=pcgrad, architecture=mmoe`: the fields that vary, by their short names; `experiment` when none. */
export function configurationLabel(overrides: Overrides, keys: readonly string[]): string {
  const parts = keys.filter((k) => k in overrides).map((k) => `${shortKey(k)}=${formatValue(overrides[k])}`);
  return parts.length > 0 ? parts.join(', ') : 'experiment';
}

function formatValue(value: unknown): string {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join('+');
  return typeof value === 'string' ? value : JSON.stringify(value);
}
