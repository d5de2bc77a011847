import { deltaM, type MetricComparison } from '../evaluation/deltaM.js';
import { buildTasks } from '../experiment/buildExperiment.js';
import type { MetricDirection } from '../tasks/task.js';
import { TASKS_KEY, type Overrides } from '../trials/overrides.js';
import type { Trial } from '../trials/trial.js';
import type { TrialError, TrialResult } from '../trials/trialResult.js';
import { meanStd, type MeanStd } from './meanStd.js';
import { configurationLabel, type SweepPlan } from './sweepPlan.js';

/** A trial of a row that did not finish, with its coded error. */
export interface RowFailure {
  seed: number;
  id: string;
  error: TrialError;
}

/** One row of the sweep table: a configuration (or the single-task networks) over the seeds. */
export interface SweepRow {
  label: string;
  /** The configuration's overrides (none for the single-task row). */
  overrides: Overrides;
  /** 1 for the lowest mean Δm; absent for the single-task row and rows without Δm. */
  rank?: number;
  /** Seeds whose trial finished. */
  seeds: number[];
  /** Task → metric → its test value over the finished seeds. */
  metrics: Record<string, Record<string, MeanStd>>;
  /** Δm in % against the single-task networks of the same seed, over the seeds where both finished (lower is better). */
  deltaM?: MeanStd;
  /** The model's parameter count per finished seed (AdaShare's depends on its learned policy). */
  parameters: number[];
  /** Training milliseconds per step (evaluation excluded), and wall seconds per trial. */
  msPerStep?: MeanStd;
  seconds?: MeanStd;
  failed: RowFailure[];
}

/** The table of a sweep: columns (task, metric, direction), the single-task row, and the configurations ranked by Δm. */
export interface SweepTable {
  experiment: string;
  seeds: number[];
  columns: Array<{ task: string; metric: string; direction: MetricDirection }>;
  /** The single-task networks: one row, or one per budget (data, encoder, training) when the grid varies it. */
  singleTask: SweepRow[];
  /** Ranked by mean Δm (lowest first); rows without Δm last, in the grid's order. */
  rows: SweepRow[];
}

/**
 * Gather a sweep's trial results into its table: per configuration, every task's test
 * metrics and Δm (Maninis et al., 2019: the mean relative change of every metric
 * against the single-task network of the same seed, in %, lower is better) as mean ±
 * std over the seeds, ranked by mean Δm; the single-task networks as the reference
 * row. Failed trials are listed with their row; their seeds are left out of its means.
 */
export function sweepTable(plan: SweepPlan, results: readonly TrialResult[]): SweepTable {
  const byId = new Map(results.map((r) => [r.id, r]));
  const columns = plan.base.tasks.flatMap((t) => {
    const task = buildTasks({ ...plan.base, tasks: [t] })[0]!;
    return task.metrics.map((m) => ({ task: t.name, metric: m.name, direction: m.direction }));
  });
  const directions = new Map(columns.map((c) => [`${c.task}\n${c.metric}`, c.direction]));

  // One single-task row per distinct budget (data, encoder, training) the grid varies; usually one.
  const budgets = new Map<string, { overrides: Overrides; baselines: Trial[] }>();
  for (const baseline of plan.baselines) {
    const budget = Object.fromEntries(Object.entries(baseline.overrides).filter(([k]) => k !== 'seed' && k !== TASKS_KEY));
    const key = JSON.stringify(budget);
    if (!budgets.has(key)) budgets.set(key, { overrides: budget, baselines: [] });
    budgets.get(key)!.baselines.push(baseline);
  }
  const varying = [...new Set([...budgets.values()].flatMap((b) => Object.keys(b.overrides)))].filter(
    (k) => new Set([...budgets.values()].map((b) => JSON.stringify(b.overrides[k]))).size > 1,
  );
  const singleTask = [...budgets.values()].map(({ overrides, baselines }) => {
    const label = varying.length > 0 ? `single-task (${configurationLabel(overrides, varying)})` : 'single-task';
    const row = emptyRow(label, overrides) as RawRow;
    for (const seed of plan.grid.seeds) {
      let finished = false;
      // The networks of one seed replace one multi-task model: their parameters add up.
      let parameters = 0;
      for (const baseline of baselines.filter((b) => b.config.seed === seed)) {
        const result = byId.get(baseline.id);
        if (result?.status !== 'done' || !result.summary?.multiTask) {
          row.failed.push({ seed, id: baseline.id, error: result?.error ?? notRun(baseline) });
          continue;
        }
        finished = true;
        for (const [task, evaluation] of Object.entries(result.summary.multiTask.evaluation)) addMetrics(row, task, evaluation.metrics);
        parameters += result.summary.multiTask.parameters;
      }
      if (finished) {
        row.seeds.push(seed);
        row.parameters.push(parameters);
      }
    }
    return finish(row);
  });

  const rows: SweepRow[] = plan.configurations.map((configuration) => {
    const row = emptyRow(configuration.label, configuration.overrides) as RawRow;
    for (const [seed, trial] of configuration.trials) {
      const result = byId.get(trial.id);
      if (result?.status !== 'done' || !result.summary?.multiTask) {
        row.failed.push({ seed, id: trial.id, error: result?.error ?? notRun(trial) });
        continue;
      }
      const multiTask = result.summary.multiTask;
      row.seeds.push(seed);
      for (const [task, evaluation] of Object.entries(multiTask.evaluation)) addMetrics(row, task, evaluation.metrics);
      row.parameters.push(multiTask.parameters);
      if (result.msPerStep !== undefined) row.rawMsPerStep.push(result.msPerStep);
      row.rawSeconds.push(result.seconds);
      const comparisons: MetricComparison[] = [];
      let complete = true;
      for (const [task, evaluation] of Object.entries(multiTask.evaluation)) {
        const baseline = byId.get(plan.baselineOf.get(trial.id)?.get(task)?.id ?? '');
        const reference = baseline?.status === 'done' ? baseline.summary?.multiTask?.evaluation[task]?.metrics : undefined;
        if (!reference) {
          complete = false;
          break;
        }
        for (const [metric, value] of Object.entries(evaluation.metrics)) {
          const single = reference[metric];
          if (single === undefined) continue;
          comparisons.push({ task, metric, direction: directions.get(`${task}\n${metric}`) ?? 'higher', multiTask: value, singleTask: single });
        }
      }
      if (complete && comparisons.length > 0) row.rawDeltaM.push(deltaM(comparisons));
    }
    return finish(row);
  });
  const ranked = rows.filter((r) => r.deltaM).sort((a, b) => a.deltaM!.mean - b.deltaM!.mean);
  ranked.forEach((r, i) => (r.rank = i + 1));
  return {
    experiment: plan.base.name,
    seeds: [...plan.grid.seeds],
    columns,
    singleTask,
    rows: [...ranked, ...rows.filter((r) => !r.deltaM)],
  };
}

/** A row while it is gathered: raw per-seed values, turned into mean ± std by {@link finish}. */
interface RawRow extends SweepRow {
  raw: Record<string, Record<string, number[]>>;
  rawDeltaM: number[];
  rawMsPerStep: number[];
  rawSeconds: number[];
}

function emptyRow(label: string, overrides: Overrides): SweepRow {
  const row: RawRow = { label, overrides, seeds: [], metrics: {}, parameters: [], failed: [], raw: {}, rawDeltaM: [], rawMsPerStep: [], rawSeconds: [] };
  return row;
}

function addMetrics(row: SweepRow, task: string, metrics: Record<string, number>): void {
  const raw = (row as RawRow).raw;
  raw[task] ??= {};
  for (const [metric, value] of Object.entries(metrics)) (raw[task]![metric] ??= []).push(value);
}

function finish(row: RawRow): SweepRow {
  const { raw, rawDeltaM, rawMsPerStep, rawSeconds, ...rest } = row;
  const metrics = Object.fromEntries(Object.entries(raw).map(([task, m]) => [task, Object.fromEntries(Object.entries(m).map(([k, xs]) => [k, meanStd(xs)]))]));
  return {
    ...rest,
    metrics,
    ...(rawDeltaM.length > 0 ? { deltaM: meanStd(rawDeltaM) } : {}),
    ...(rawMsPerStep.length > 0 ? { msPerStep: meanStd(rawMsPerStep) } : {}),
    ...(rawSeconds.length > 0 ? { seconds: meanStd(rawSeconds) } : {}),
  };
}

/** The code of a trial without a result yet (a table written while a sweep runs, or with --table-only). */
export const NOT_RUN = 'trials.not_run';

function notRun(trial: Trial): TrialError {
  return { code: NOT_RUN, path: `trial ${trial.id}`, expected: 'a finished trial', found: 'no result yet', fix: 'run the sweep (without --table-only) to train it', message: `trial ${trial.id} has not run` };
}

/** A figure as `mean ± std` (the mean alone for one seed). */
function cell(figure: MeanStd | undefined, digits: number, sign = false): string {
  if (!figure) return 'n/a';
  const m = `${sign && figure.mean >= 0 ? '+' : ''}${figure.mean.toFixed(digits)}`;
  return figure.values.length > 1 ? `${m} ± ${figure.std.toFixed(digits)}` : m;
}

/**
 * The sweep table in Markdown: one line saying what it is, then per row the rank, the
 * configuration, each task's metrics and Δm as mean ± std over seeds and how many seeds
 * finished; the errors of failed trials as numbered notes under it.
 */
export function formatSweepTable(table: SweepTable): string {
  const header = table.columns.map((c) => `${c.task} ${c.metric}`);
  const notes: string[] = [];
  // One note per distinct error; the rows point at it.
  const noteOf = (failure: RowFailure): number => {
    const e = failure.error;
    const text = `[${e.code}] ${e.path}: expected ${e.expected}, found ${e.found}.${e.fix ? ` Fix: ${e.fix}` : ''}`;
    const at = notes.indexOf(text);
    if (at >= 0) return at + 1;
    notes.push(text);
    return notes.length;
  };
  let notRun = 0;
  const line = (row: SweepRow, rank: string) => {
    notRun += row.failed.filter((f) => f.error.code === NOT_RUN).length;
    const marks = [...new Set(row.failed.filter((f) => f.error.code !== NOT_RUN).map((f) => noteOf(f)))];
    const total = row.seeds.length + new Set(row.failed.map((f) => f.seed).filter((s) => !row.seeds.includes(s))).size;
    const seeds = `${row.seeds.length} of ${total}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}`;
    const cells = table.columns.map((c) => {
      const inRow = row.metrics[c.task];
      if (!inRow) return row.seeds.length === 0 ? 'n/a' : '—';
      return cell(inRow[c.metric], 4);
    });
    const delta = table.singleTask.includes(row) ? (row.seeds.length > 0 ? '0' : 'n/a') : cell(row.deltaM, 2, true);
    return `| ${rank} | ${row.label} | ${cells.join(' | ')} | ${delta} | ${seeds} |`;
  };
  const configurations = table.rows.length;
  const lines = [
    `# Sweep: ${table.experiment}`,
    '',
    `${configurations} configuration${configurations === 1 ? '' : 's'} × ${table.seeds.length} seed${table.seeds.length === 1 ? '' : 's'} (${table.seeds.join(', ')}). ` +
      'Test metrics, mean ± std over seeds; Δm in % against the single-task networks of the same seed (lower is better); ranked by Δm.',
    '',
    `| rank | configuration | ${header.join(' | ')} | Δm | seeds |`,
    `| --- | --- | ${header.map(() => '---').join(' | ')} | --- | --- |`,
    ...table.singleTask.map((r) => line(r, '—')),
    ...table.rows.map((r) => line(r, r.rank !== undefined ? String(r.rank) : '—')),
  ];
  if (notRun > 0) lines.push('', `${notRun} trial${notRun === 1 ? ' has' : 's have'} not run yet: the table shows the finished ones.`);
  if (notes.length > 0) lines.push('', ...notes.map((n, i) => `(${i + 1}) ${n}`));
  return lines.join('\n') + '\n';
}
