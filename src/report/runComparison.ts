import { deltaM, type MetricComparison } from '../evaluation/deltaM.js';
import type { RunData, SummaryEvaluation } from './runFolder.js';

/** Metrics for which lower is better; every other metric is higher-is-better. */
const LOWER_IS_BETTER = new Set(['mse', 'rmse', 'mae', 'loss']);
/** Metrics in [0, 1] shown ×100 in tables. */
const PERCENT_METRICS = new Set(['accuracy', 'auc', 'f1']);

/** Whether lower values of a metric are better. */
export function metricDirection(metric: string): 'higher' | 'lower' {
  return LOWER_IS_BETTER.has(metric) ? 'lower' : 'higher';
}

/** The factor a table shows a metric with: 100 for accuracy, AUC and F1, else 1. */
export function metricScale(metric: string): number {
  return PERCENT_METRICS.has(metric) ? 100 : 1;
}

/** A task's main metric: the first its evaluation lists (the task definition's first metric). */
export function mainMetric(evaluation: SummaryEvaluation | undefined): string | undefined {
  return evaluation ? Object.keys(evaluation.metrics)[0] : undefined;
}

/** Runs that differ only in their seed (and name), shown as one row with mean ± std. */
export interface Configuration {
  label: string;
  runs: RunData[];
  /** Single-task baselines rather than multi-task runs. */
  singleTask: boolean;
}

/** One configuration's results over its seeds. */
export interface ConfigurationResult {
  label: string;
  singleTask: boolean;
  runs: RunData[];
  /** Per task: its main metric and the value of each run that has it. */
  tasks: Record<string, { metric: string; direction: 'higher' | 'lower'; values: number[] }>;
  /** Δm (%) of each run that has baselines to compare with. */
  deltaM: number[];
  /** Runs of the configuration without final results (still training, stopped). */
  unfinished: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A config flattened to `path → JSON value` for comparison. */
function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/** Fields that do not make a configuration (a run's seed and name; whether baselines were trained with it). */
const NOT_CONFIGURATION = new Set(['seed', 'name', 'baselines']);

function configurationKey(run: RunData): string {
  if (!run.config) return `folder:${run.dir.replace(/[-_](s|seed)?\d+$/i, '')}`;
  const kept = Object.fromEntries(Object.entries(run.config).filter(([k]) => !NOT_CONFIGURATION.has(k)));
  return JSON.stringify([...flatten(kept)].sort());
}

/** Seed of a run: config.json's, else a trailing -s<N> / -seed<N> of its folder name. */
export function runSeed(run: RunData): number | undefined {
  if (typeof run.config?.seed === 'number') return run.config.seed;
  const m = /[-_](?:s|seed)(\d+)$/i.exec(run.dir);
  return m ? Number(m[1]) : undefined;
}

const SHORT_PATHS: Record<string, string> = { 'weighting.method': '', 'model.architecture': '' };

/** Label each configuration by what sets it apart from the others (method, architecture, options). */
function labels(groups: RunData[][], given: (run: RunData) => string | undefined): string[] {
  const flats = groups.map((g) => (g[0]!.config ? flatten(Object.fromEntries(Object.entries(g[0]!.config).filter(([k]) => !NOT_CONFIGURATION.has(k)))) : undefined));
  const known = flats.filter((f): f is Map<string, string> => f !== undefined);
  const paths = new Set(known.flatMap((f) => [...f.keys()]));
  const differing = [...paths].filter((p) => new Set(known.map((f) => f.get(p) ?? 'undefined')).size > 1).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const names = groups.map((g, i) => {
    const fromSweep = given(g[0]!);
    if (fromSweep) return fromSweep;
    const f = flats[i];
    if (!f) return g[0]!.dir.split(/[\\/]/).at(-1)!.replace(/[-_](s|seed)?\d+$/i, '');
    if (differing.length === 0) return String(g[0]!.config?.name ?? g[0]!.name).replace(/[-_](s|seed)?\d+$/i, '');
    const parts = differing
      .filter((p) => f.has(p))
      .map((p) => {
        const v = f.get(p)!;
        const text = v.startsWith('"') ? (JSON.parse(v) as string) : v;
        return p in SHORT_PATHS ? text : `${p.replace(/^(training|model\.options|weighting\.options|model|data)\./, '')}=${text.length > 24 ? `${text.slice(0, 21)}…` : text}`;
      });
    return parts.length > MAX_LABEL_PARTS ? `${parts.slice(0, MAX_LABEL_PARTS).join(' · ')} · +${parts.length - MAX_LABEL_PARTS} more` : parts.join(' · ');
  });
  // Shortened labels may meet: tell them apart by their first run's folder.
  return names.map((n, i) => (names.indexOf(n) !== names.lastIndexOf(n) ? `${n} (${groups[i]![0]!.dir.split(/[\\/]/).at(-1)})` : n));
}

/** Settings a label names before it says how many more differ. */
const MAX_LABEL_PARTS = 4;

/** Method, then architecture, then the rest: the order labels read best in. */
function rank(path: string): number {
  return path === 'weighting.method' ? 0 : path === 'model.architecture' ? 1 : path.startsWith('weighting.') ? 2 : path.startsWith('model.') ? 3 : 4;
}

/**
 * Group runs into configurations: runs whose config.json agree on everything but the
 * seed and name are seeds of one configuration. Folders of single-task baselines only
 * form the `single-task` configuration. `given` may name a run's configuration (a
 * sweep's labels); otherwise labels say what sets each configuration apart.
 */
export function groupConfigurations(runs: readonly RunData[], given: (run: RunData) => string | undefined = () => undefined): Configuration[] {
  const multi = runs.filter((r) => r.status !== 'baselines');
  const byKey = new Map<string, RunData[]>();
  for (const run of multi) {
    const key = given(run) ?? configurationKey(run);
    byKey.set(key, [...(byKey.get(key) ?? []), run]);
  }
  const groups = [...byKey.values()];
  const names = labels(groups, given);
  const out: Configuration[] = groups.map((g, i) => ({ label: names[i]!, runs: g, singleTask: false }));
  const baselines = runs.filter((r) => r.status === 'baselines');
  if (baselines.length > 0) out.unshift({ label: 'single-task', runs: baselines, singleTask: true });
  return out;
}

/** The single-task evaluation of each task a run can be compared with: its own baselines, else a baselines run of the same seed and tasks. */
export function baselinesFor(run: RunData, all: readonly RunData[]): Record<string, SummaryEvaluation> | undefined {
  const own = run.summary?.singleTask;
  if (own && run.tasks.every((t) => own[t])) return Object.fromEntries(run.tasks.map((t) => [t, own[t]!.evaluation]));
  const seed = runSeed(run);
  const data = JSON.stringify(run.config?.data ?? null);
  for (const other of all) {
    if (other === run || runSeed(other) !== seed) continue;
    const st = other.summary?.singleTask;
    if (!st || !run.tasks.every((t) => st[t])) continue;
    if (run.config?.data && other.config?.data && JSON.stringify(other.config.data) !== data) continue;
    return Object.fromEntries(run.tasks.map((t) => [t, st[t]!.evaluation]));
  }
  return undefined;
}

/** Per-metric comparisons of a finished run with its baselines (every metric both have). */
export function runComparisons(run: RunData, all: readonly RunData[]): MetricComparison[] | undefined {
  const mtl = run.summary?.multiTask?.evaluation;
  const base = baselinesFor(run, all);
  if (!mtl || !base) return undefined;
  const out: MetricComparison[] = [];
  for (const task of run.tasks) {
    for (const [metric, value] of Object.entries(mtl[task]?.metrics ?? {})) {
      const b = base[task]?.metrics[metric];
      if (b === undefined) continue;
      out.push({ task, metric, direction: metricDirection(metric), multiTask: value, singleTask: b });
    }
  }
  return out.length > 0 ? out : undefined;
}

/** Δm (%) of a finished run: its summary's, else computed against baselines of the same seed; undefined without baselines. */
export function runDeltaM(run: RunData, all: readonly RunData[]): number | undefined {
  if (run.summary?.deltaM !== undefined) return run.summary.deltaM;
  const comparisons = runComparisons(run, all);
  if (!comparisons || comparisons.some((c) => !Number.isFinite(c.singleTask) || c.singleTask === 0)) return undefined;
  return deltaM(comparisons);
}

/** The tasks of a set of runs, in the order they first appear. */
export function tasksOf(runs: readonly RunData[]): string[] {
  return [...new Set(runs.flatMap((r) => r.tasks))];
}

/**
 * Results per configuration: each task's main metric over the seeds, and Δm over the
 * seeds that have baselines. The single-task configuration also gathers the baselines
 * that multi-task runs carry in their own summary (one per seed), so a table always
 * has its single-task row when any baselines exist.
 */
export function configurationResults(configurations: readonly Configuration[], all: readonly RunData[]): ConfigurationResult[] {
  const tasks = tasksOf(all);
  const results: ConfigurationResult[] = [];
  const metricOf = (task: string): string | undefined => {
    for (const run of all) {
      const m = mainMetric(run.summary?.multiTask?.evaluation[task] ?? run.summary?.singleTask?.[task]?.evaluation);
      if (m) return m;
    }
    return undefined;
  };
  const perTask = () => {
    const out: ConfigurationResult['tasks'] = {};
    for (const t of tasks) {
      const metric = metricOf(t);
      if (metric) out[t] = { metric, direction: metricDirection(metric), values: [] };
    }
    return out;
  };
  // Baselines by seed: from baselines-only folders first, then from multi-task runs' own summaries.
  const bySeed = new Map<string, Record<string, SummaryEvaluation>>();
  for (const run of [...all.filter((r) => r.status === 'baselines'), ...all.filter((r) => r.status !== 'baselines')]) {
    const st = run.summary?.singleTask;
    if (!st || Object.keys(st).length === 0) continue;
    const key = String(runSeed(run) ?? run.dir);
    if (!bySeed.has(key)) bySeed.set(key, Object.fromEntries(Object.entries(st).map(([t, s]) => [t, s.evaluation])));
  }
  if (bySeed.size > 0) {
    const single: ConfigurationResult = { label: 'single-task', singleTask: true, runs: configurations.find((c) => c.singleTask)?.runs ?? [], tasks: perTask(), deltaM: [], unfinished: 0 };
    for (const evaluation of bySeed.values()) {
      for (const [t, entry] of Object.entries(single.tasks)) {
        const v = evaluation[t]?.metrics[entry.metric];
        if (v !== undefined) entry.values.push(v);
      }
    }
    results.push(single);
  }
  for (const c of configurations) {
    if (c.singleTask) continue;
    const r: ConfigurationResult = { label: c.label, singleTask: false, runs: c.runs, tasks: perTask(), deltaM: [], unfinished: 0 };
    for (const run of c.runs) {
      const ev = run.summary?.multiTask?.evaluation;
      if (!ev) {
        r.unfinished += 1;
        continue;
      }
      for (const [t, entry] of Object.entries(r.tasks)) {
        const v = ev[t]?.metrics[entry.metric];
        if (v !== undefined) entry.values.push(v);
      }
      const d = runDeltaM(run, all);
      if (d !== undefined) r.deltaM.push(d);
    }
    results.push(r);
  }
  return results;
}

/**
 * Which points are Pareto-optimal: a point is dominated when another is at least as
 * good on every objective and better on one (`directions` per coordinate).
 */
export function paretoOptimal(points: readonly (readonly number[])[], directions: readonly ('higher' | 'lower')[]): boolean[] {
  const better = (a: number, b: number, d: 'higher' | 'lower') => (d === 'higher' ? a > b : a < b);
  return points.map((p, i) =>
    !points.some((q, j) => j !== i && q.every((v, k) => v === p[k] || better(v, p[k]!, directions[k]!)) && q.some((v, k) => better(v, p[k]!, directions[k]!))),
  );
}
