import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MtlError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { finishedResult } from '../trials/executeTrial.js';
import type { DescribeOverride, Overrides } from '../trials/overrides.js';
import type { TrialEvent, TrialRunner } from '../trials/runner.js';
import { runTrials } from '../trials/runTrials.js';
import type { TrialResult } from '../trials/trialResult.js';
import { resolveGrid, type SweepGrid } from './sweepGrid.js';
import { planSweep, type SweepPlan } from './sweepPlan.js';
import { formatSweepTable, sweepTable, type SweepTable } from './sweepTable.js';

/** Options of {@link runSweep}. */
export interface SweepOptions {
  /** Field path → alternatives; merged over the experiment's `sweep.set`. */
  set?: Readonly<Record<string, readonly unknown[]>>;
  /** The seeds of every configuration. @defaultValue the experiment's `sweep.seeds`, else its seed */
  seeds?: readonly number[];
  /** Configurations listed one by one, crossed with `set` (see {@link SweepGrid}). */
  configurations?: readonly Overrides[];
  /** Where trials train. @defaultValue localPool() */
  runner?: TrialRunner;
  /** @defaultValue runs/<experiment name>-sweep */
  sweepDir?: string;
  onProgress?: (event: TrialEvent) => void;
  /** Build the table from the trials finished so far and train nothing. @defaultValue false */
  tableOnly?: boolean;
  /** How an override key is named in errors (`--set key` on the command line). */
  describe?: DescribeOverride;
}

/** What `sweep.json` holds: the grid, every trial's result (each trial once) and the table. */
export interface SweepFile {
  version: 1;
  experiment: string;
  grid: SweepGrid;
  runner?: string;
  updated: string;
  trials: TrialResult[];
  table: SweepTable;
}

/** The default sweep folder of an experiment. */
export function defaultSweepDir(config: ExperimentConfig): string {
  return join('runs', `${config.name}-sweep`);
}

/**
 * Run a sweep: every configuration of the grid (the experiment's `sweep:` block and
 * `set`) with every seed, and the single-task baselines they are compared with (each
 * trained once per seed and budget); then the table, written as `sweep.json` and
 * `sweep.md` in the sweep folder. Every trial is defined and checked before the first
 * one starts. A sweep run again reuses the finished trials and continues the
 * interrupted ones from their checkpoints; a failed trial is in the table with its
 * coded error and the others finish.
 *
 * @example
 * ```ts
 * const sweep = await runSweep(readExperiment('examples/multimnist.yaml'), {
 *   set: { 'weighting.method': ['equal', 'pcgrad', 'upgrad'] },
 *   seeds: [0, 1, 2],
 *   runner: localPool({ jobs: 2 }),
 * });
 * console.log(formatSweepTable(sweep.table));
 * ```
 */
export async function runSweep(base: ExperimentConfig, options: SweepOptions = {}): Promise<SweepFile & { plan: SweepPlan; sweepDir: string }> {
  const grid = resolveGrid(base, {
    ...(options.set ? { set: options.set } : {}),
    ...(options.seeds ? { seeds: options.seeds } : {}),
    ...(options.configurations ? { configurations: options.configurations } : {}),
  });
  const plan = planSweep(base, grid, options.describe);
  const sweepDir = resolve(options.sweepDir ?? defaultSweepDir(base));
  let results: TrialResult[];
  let runner: string | undefined;
  if (options.tableOnly) {
    results = plan.trials.map((t) => finishedResult(t, join(sweepDir, ...t.id.split('/')))).filter((r): r is TrialResult => r !== undefined);
  } else {
    runner = options.runner?.description;
    results = await runTrials(plan.trials, {
      sweepDir,
      ...(options.runner ? { runner: options.runner } : {}),
      onProgress: (event) => {
        if (event.type === 'plan') runner = event.runner;
        options.onProgress?.(event);
      },
    });
  }
  const table = sweepTable(plan, results);
  const file: SweepFile = {
    version: 1,
    experiment: base.name,
    grid,
    ...(runner ? { runner } : {}),
    updated: new Date().toISOString(),
    trials: results,
    table,
  };
  mkdirSync(sweepDir, { recursive: true });
  writeAtomically(join(sweepDir, SWEEP_JSON), JSON.stringify(file, null, 2) + '\n');
  writeAtomically(join(sweepDir, SWEEP_MD), formatSweepTable(table));
  return { ...file, plan, sweepDir };
}

/** The file a sweep writes its grid, trial results and table to. */
export const SWEEP_JSON = 'sweep.json';
/** The file a sweep writes its table to, in Markdown. */
export const SWEEP_MD = 'sweep.md';

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Read a sweep folder's `sweep.json` (written by `mtl sweep` / {@link runSweep}). */
export function readSweep(sweepDir: string): SweepFile {
  const path = join(sweepDir, SWEEP_JSON);
  if (!existsSync(path)) {
    throw new MtlError({ code: 'sweep.missing', path, expected: 'a sweep folder with sweep.json (written by mtl sweep)', found: existsSync(sweepDir) ? 'a folder without sweep.json' : 'no such folder', fix: 'run mtl sweep first (or --table-only to write the table of the trials finished so far)' });
  }
  return JSON.parse(readFileSync(path, 'utf8')) as SweepFile;
}
