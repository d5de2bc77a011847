import { formatMeanStd } from '../evaluation/meanStd.js';
import { configurationResults, groupConfigurations, metricScale, tasksOf, type ConfigurationResult } from './runComparison.js';
import type { RunData } from './runFolder.js';

/** Options of {@link tableFromRuns}. */
export interface TableOptions {
  /** Heading of the first column. @defaultValue 'configuration' */
  firstColumn?: string;
  /** Decimals of every figure. @defaultValue 2 */
  digits?: number;
  /** Names a run's configuration (e.g. a sweep's labels); by default labels say what sets configurations apart. */
  label?: (run: RunData) => string | undefined;
  /** Write the caption line above the table. @defaultValue true */
  caption?: boolean;
}

/** The table as rows of cells (header first), shared by the Markdown and HTML writers. */
export interface ResultsTable {
  header: string[];
  rows: string[][];
  caption: string;
  /** Notes for under the table (unfinished runs, runs without baselines). */
  notes: string[];
}

/** Build the results table of a set of runs (see {@link tableFromRuns}). */
export function resultsTable(runs: readonly RunData[], options: TableOptions = {}): ResultsTable {
  const digits = options.digits ?? 2;
  const results = configurationResults(groupConfigurations(runs, options.label), runs);
  const tasks = tasksOf(runs).filter((t) => results.some((r) => r.tasks[t]));
  const metricOf = (t: string) => results.find((r) => r.tasks[t])!.tasks[t]!;
  const anyDelta = results.some((r) => r.deltaM.length > 0);
  const counts = new Set(results.map((r) => r.runs.length || count(r)));
  const showRuns = counts.size > 1;
  const header = [options.firstColumn ?? 'configuration', ...tasks, ...(anyDelta ? ['Δm'] : []), ...(showRuns ? ['runs'] : [])];
  const rows = results.map((r) => [
    r.label,
    ...tasks.map((t) => {
      const e = r.tasks[t];
      return e ? formatMeanStd(e.values, { scale: metricScale(e.metric), digits }) : '—';
    }),
    ...(anyDelta ? [r.singleTask ? '0' : formatMeanStd(r.deltaM, { digits })] : []),
    ...(showRuns ? [String(r.runs.length || count(r))] : []),
  ]);
  const seeds = Math.max(...results.map((r) => count(r)), 0);
  const caption =
    `main metric per task: ${tasks.map((t) => `${t} ${metricOf(t).metric}${metricScale(metricOf(t).metric) === 100 ? ' ×100' : ''} (${metricOf(t).direction} is better)`).join(', ')}` +
    (anyDelta ? '; Δm in % against the single-task baselines (lower is better)' : '') +
    (seeds > 1 ? '; mean ± std over seeds' : '');
  const notes: string[] = [];
  for (const r of results) {
    if (r.unfinished > 0) notes.push(`${r.label}: ${r.unfinished} run${r.unfinished === 1 ? '' : 's'} without final results (still training or stopped) left out`);
    const finished = r.runs.filter((x) => x.summary?.multiTask).length;
    if (!r.singleTask && anyDelta && r.deltaM.length < finished) notes.push(`${r.label}: Δm over ${r.deltaM.length} of ${finished} runs (the others have no single-task baselines of their seed)`);
  }
  return { header, rows, caption, notes };
}

function count(r: ConfigurationResult): number {
  return Math.max(0, ...Object.values(r.tasks).map((t) => t.values.length));
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/**
 * The results table of a set of runs as Markdown: one row per configuration (runs that
 * differ only in their seed), each task's main metric (accuracy, AUC and F1 ×100) and
 * Δm as mean ± std over seeds, the single-task baselines first. This is what the
 * results tables of docs/results.md and bench/ are made with, so re-running the runs
 * regenerates them (`mtl report <folders> --markdown table.md`).
 *
 * @example
 * tableFromRuns(collectInputs(['runs/table-multimnist']).runs)
 * // | configuration | left | right | Δm |
 * // | single-task | 92.18 ± 0.52 | 89.63 ± 0.56 | 0 |  …
 */
export function tableFromRuns(runs: readonly RunData[], options: TableOptions = {}): string {
  const t = resultsTable(runs, options);
  const lines = [
    ...(options.caption ?? true ? [t.caption, ''] : []),
    `| ${t.header.map(cell).join(' | ')} |`,
    `| ${t.header.map(() => '---').join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  if (t.notes.length > 0) lines.push('', ...t.notes.map((n) => `- ${n}`));
  return lines.join('\n') + '\n';
}
