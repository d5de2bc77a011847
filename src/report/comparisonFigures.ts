import { figure, MAX_POINTS_PER_SERIES, PANEL_WIDTH, wrapped, type Figure } from './figure.js';
import { meanStd } from '../evaluation/meanStd.js';
import { metricDirection, metricScale, paretoOptimal, type ConfigurationResult } from './runComparison.js';

/** Each task's main test metric per configuration: mean bar, ± std error bar, one tick per seed. */
export function compareMetricsFigure(results: readonly ConfigurationResult[]): Figure | undefined {
  const rows: object[] = [];
  const order = results.map((r) => r.label);
  for (const r of results) {
    for (const [task, e] of Object.entries(r.tasks)) {
      const scale = metricScale(e.metric);
      for (const v of e.values) rows.push({ configuration: r.label, panel: `${task} · ${e.metric}${scale === 100 ? ' ×100' : ''} (${e.direction} is better)`, value: v * scale });
    }
  }
  if (rows.length === 0) return undefined;
  return figure(
    'compare-metrics',
    'Test metric per task and configuration',
    'Each configuration\'s main test metric per task: the bar is the mean over seeds, the whisker ± one standard deviation, each dot one seed. Overlapping whiskers are differences the seeds do not resolve.',
    wrapped(rows, 'panel', {
      width: Math.max(PANEL_WIDTH, 26 * order.length),
      encoding: { x: { field: 'configuration', type: 'nominal', sort: order, title: null, axis: { labelAngle: -35, labelLimit: 220 } } },
      layer: [
        { mark: { type: 'bar', opacity: 0.75 }, encoding: { y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: null, scale: { zero: false } }, color: { field: 'configuration', type: 'nominal', sort: order, legend: null } } },
        { mark: { type: 'errorbar', extent: 'stdev', color: '#222' }, encoding: { y: { field: 'value', type: 'quantitative', title: null } } },
        { mark: { type: 'point', filled: true, color: '#222', size: 16, opacity: 0.8 }, encoding: { y: { field: 'value', type: 'quantitative', title: null } } },
      ],
    }, 3),
  );
}

/** Δm per configuration (mean ± std over seeds); zero is the single-task baselines. */
export function compareDeltaMFigure(results: readonly ConfigurationResult[]): Figure | undefined {
  const rows = results.filter((r) => !r.singleTask).flatMap((r) => r.deltaM.map((d) => ({ configuration: r.label, deltaM: d })));
  if (rows.length === 0) return undefined;
  const order = results.filter((r) => !r.singleTask && r.deltaM.length > 0).map((r) => r.label);
  const y = { field: 'configuration', type: 'nominal', sort: order, title: null, axis: { labelLimit: 360 } };
  return figure(
    'compare-delta-m',
    'Δm per configuration',
    'Δm, the mean relative change of every test metric against the single-task baselines of the same seed, in percent: below zero sharing helped. Bar: mean over seeds; whisker: ± one standard deviation; points: the seeds.',
    {
      data: { values: rows },
      width: PANEL_WIDTH * 2,
      height: Math.max(60, 24 * order.length),
      layer: [
        { mark: { type: 'bar', opacity: 0.75 }, encoding: { y, x: { aggregate: 'mean', field: 'deltaM', type: 'quantitative', title: 'Δm (%, lower is better)' }, color: { condition: { test: 'datum.mean_deltaM <= 0', value: '#54a24b' }, value: '#e45756' } } },
        { mark: { type: 'errorbar', extent: 'stdev', color: '#222' }, encoding: { y, x: { field: 'deltaM', type: 'quantitative', title: 'Δm (%, lower is better)' } } },
        { mark: { type: 'point', filled: true, color: '#222', size: 18 }, encoding: { y, x: { field: 'deltaM', type: 'quantitative', title: 'Δm (%, lower is better)' } } },
        { mark: { type: 'rule', color: '#333' }, encoding: { x: { datum: 0, type: 'quantitative' } } },
      ],
    },
  );
}

/**
 * The trade-off between tasks: each configuration's mean test metrics as a point (one
 * panel per pair of tasks), each seed as a faint point, the configurations that no other
 * beats on every task (the Pareto front over all tasks) ringed and joined.
 */
export function paretoFigure(results: readonly ConfigurationResult[]): Figure | undefined {
  const tasks = [...new Set(results.flatMap((r) => Object.keys(r.tasks)))];
  if (tasks.length < 2) return undefined;
  const usable = results.filter((r) => tasks.every((t) => (r.tasks[t]?.values.length ?? 0) > 0));
  if (usable.length === 0) return undefined;
  const metric = (t: string) => usable[0]!.tasks[t]!.metric;
  const directions = tasks.map((t) => metricDirection(metric(t)));
  const means = usable.map((r) => tasks.map((t) => meanStd(r.tasks[t]!.values).mean));
  const optimal = paretoOptimal(means, directions);
  const pairs: [number, number][] = [];
  for (let i = 0; i < tasks.length && pairs.length < 6; i++) for (let j = i + 1; j < tasks.length && pairs.length < 6; j++) pairs.push([i, j]);
  const axis = (t: string) => `${t} · ${metric(t)}${metricScale(metric(t)) === 100 ? ' ×100' : ''}`;
  const rows: object[] = [];
  for (const [i, j] of pairs) {
    const pair = `${axis(tasks[i]!)} vs ${axis(tasks[j]!)}`;
    const si = metricScale(metric(tasks[i]!));
    const sj = metricScale(metric(tasks[j]!));
    usable.forEach((r, k) => {
      rows.push({ pair, configuration: r.label, x: means[k]![i]! * si, y: means[k]![j]! * sj, kind: optimal[k] ? 'mean, Pareto-optimal' : 'mean', front: optimal[k] ? 1 : 0 });
      const n = Math.min(r.tasks[tasks[i]!]!.values.length, r.tasks[tasks[j]!]!.values.length);
      for (let s = 0; s < n; s++) rows.push({ pair, configuration: r.label, x: r.tasks[tasks[i]!]!.values[s]! * si, y: r.tasks[tasks[j]!]!.values[s]! * sj, kind: 'seed', front: 0 });
    });
  }
  const order = usable.map((r) => r.label);
  const better = directions.map((d, k) => `${tasks[k]} ${d === 'higher' ? 'higher' : 'lower'}`).join(', ');
  return figure(
    'pareto',
    'Pareto plot of the per-task test metrics',
    `Each configuration's mean test metrics (large points; faint: single seeds), one panel per pair of tasks (better: ${better}). Ringed points are Pareto-optimal over all tasks: no other configuration is as good on every task and better on one. The single-task point is a set of separate models, shown for reference.`,
    {
      data: { values: rows },
      facet: { field: 'pair', type: 'nominal', title: null },
      columns: 2,
      resolve: { scale: { x: 'independent', y: 'independent' } },
      spec: {
        width: PANEL_WIDTH,
        height: PANEL_WIDTH,
        layer: [
          {
            transform: [{ filter: "datum.kind != 'seed'" }, { filter: 'datum.front == 1' }],
            mark: { type: 'line', color: '#999', strokeDash: [4, 3] },
            encoding: { x: { field: 'x', type: 'quantitative', scale: { zero: false } }, y: { field: 'y', type: 'quantitative', scale: { zero: false } }, order: { field: 'x', type: 'quantitative' } },
          },
          {
            transform: [{ filter: "datum.kind == 'seed'" }],
            mark: { type: 'point', filled: true, opacity: 0.35, size: 30 },
            encoding: { x: { field: 'x', type: 'quantitative', scale: { zero: false } }, y: { field: 'y', type: 'quantitative', scale: { zero: false } }, color: { field: 'configuration', type: 'nominal', sort: order } },
          },
          {
            transform: [{ filter: "datum.kind != 'seed'" }],
            mark: { type: 'point', filled: true, size: 110 },
            encoding: {
              x: { field: 'x', type: 'quantitative', title: null, scale: { zero: false } },
              y: { field: 'y', type: 'quantitative', title: null, scale: { zero: false } },
              color: { field: 'configuration', type: 'nominal', sort: order, title: 'configuration' },
              stroke: { condition: { test: 'datum.front == 1', value: '#111' }, value: null },
              strokeWidth: { value: 2 },
            },
          },
        ],
      },
    },
  );
}

/** Held-out main metric per task over epochs, one line per configuration (mean over its seeds). */
export function compareCurvesFigure(results: readonly ConfigurationResult[]): Figure | undefined {
  const rows: object[] = [];
  for (const r of results) {
    if (r.singleTask) continue;
    const byPoint = new Map<string, { panel: string; epoch: number; values: number[] }>();
    for (const run of r.runs) {
      for (const e of run.log.epochs) {
        for (const [task, ev] of Object.entries(e.evaluation ?? {})) {
          const metric = r.tasks[task]?.metric ?? Object.keys(ev.metrics)[0];
          const v = metric ? ev.metrics[metric] : undefined;
          if (!metric || v === undefined) continue;
          const panel = `${task} · ${metric}${metricScale(metric) === 100 ? ' ×100' : ''} (${metricDirection(metric)} is better)`;
          const key = `${panel}|${e.epoch}`;
          const p = byPoint.get(key) ?? { panel, epoch: e.epoch + 1, values: [] };
          p.values.push(v * metricScale(metric));
          byPoint.set(key, p);
        }
      }
    }
    for (const p of byPoint.values()) rows.push({ configuration: r.label, panel: p.panel, epoch: p.epoch, value: meanStd(p.values).mean });
  }
  if (rows.length === 0) return undefined;
  const order = results.filter((r) => !r.singleTask).map((r) => r.label);
  const series = order.length * new Set(rows.map((r) => (r as { panel: string }).panel)).size;
  return figure(
    'compare-curves',
    'Held-out metric over training, per configuration',
    'Each configuration\'s main held-out metric per task after every epoch, averaged over its seeds: where the curves separate, and whether a configuration was still improving when training stopped.',
    wrapped(rows, 'panel', {
      mark: { type: 'line', point: rows.length / Math.max(series, 1) <= MAX_POINTS_PER_SERIES },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'configuration', type: 'nominal', sort: order, title: 'configuration' },
      },
    }, 2),
  );
}

/** Every comparison figure the results support. */
export function comparisonFigures(results: readonly ConfigurationResult[]): Figure[] {
  return [compareMetricsFigure(results), compareDeltaMFigure(results), paretoFigure(results), compareCurvesFigure(results)].filter((f): f is Figure => f !== undefined);
}
