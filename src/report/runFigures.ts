import { figure, MAX_POINTS_PER_SERIES, PANEL_HEIGHT, PANEL_WIDTH, slug, wrapped, type Figure } from './figure.js';
import type { ArchitectureLine, MetricsLog } from './metricsLog.js';
import { metricDirection, runComparisons } from './runComparison.js';
import type { RunData } from './runFolder.js';
import type { AffinityMatrix, TaskGrouping } from './taskGroupsFile.js';

/** Whether a chart with `rows` points over `series` series shows its points (few enough to tell apart). */
const withPoints = (rows: number, series: number) => rows / Math.max(series, 1) <= MAX_POINTS_PER_SERIES;

/** Line chart mark: points on when there are few. */
const line = (points: boolean) => ({ type: 'line', point: points, interpolate: 'linear' });

/** Training and evaluation loss per task over epochs (and the single-task baselines' evaluation loss, dashed). */
export function lossFigure(run: RunData, prefix = ''): Figure | undefined {
  const rows: object[] = [];
  for (const e of run.log.epochs) {
    for (const [task, v] of Object.entries(e.trainLoss)) rows.push({ epoch: e.epoch + 1, task, curve: 'multi-task, training', value: v });
    for (const [task, ev] of Object.entries(e.evaluation ?? {})) if (ev.loss !== undefined) rows.push({ epoch: e.epoch + 1, task, curve: 'multi-task, held-out', value: ev.loss });
  }
  for (const [task, log] of Object.entries(run.baselineLogs)) {
    for (const e of log.epochs) {
      const ev = e.evaluation?.[task];
      if (ev?.loss !== undefined) rows.push({ epoch: e.epoch + 1, task, curve: 'single-task, held-out', value: ev.loss });
    }
  }
  if (rows.length === 0) return undefined;
  const series = new Set(rows.map((r) => JSON.stringify([(r as { task: string }).task, (r as { curve: string }).curve]))).size;
  return figure(
    `${prefix}loss`,
    'Loss per task',
    'Mean training loss of each epoch and the loss on the held-out split after it, one panel per task; dashed: the single-task baseline trained the same way. A held-out curve that turns up while the training curve falls is over-fitting.',
    wrapped(rows, 'task', {
      mark: line(withPoints(rows.length, series)),
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } },
        color: { field: 'curve', type: 'nominal', title: null, scale: { domain: ['multi-task, training', 'multi-task, held-out', 'single-task, held-out'], range: ['#4c78a8', '#f58518', '#9d755d'] } },
        strokeDash: { field: 'curve', type: 'nominal', title: null, scale: { domain: ['multi-task, training', 'multi-task, held-out', 'single-task, held-out'], range: [[1, 0], [1, 0], [5, 3]] } },
      },
    }, 3, run.tasks),
  );
}

/** Every evaluation metric per task over epochs, multi-task against the single-task baseline. */
export function metricFigure(run: RunData, prefix = ''): Figure | undefined {
  const rows: object[] = [];
  const add = (log: MetricsLog, model: string, only?: string) => {
    for (const e of log.epochs) {
      for (const [task, ev] of Object.entries(e.evaluation ?? {})) {
        if (only && task !== only) continue;
        for (const [metric, v] of Object.entries(ev.metrics)) rows.push({ epoch: e.epoch + 1, panel: `${task} · ${metric} (${metricDirection(metric)} is better)`, model, value: v });
      }
    }
  };
  add(run.log, 'multi-task');
  for (const [task, log] of Object.entries(run.baselineLogs)) add(log, 'single-task', task);
  if (rows.length === 0) return undefined;
  const panels = new Set(rows.map((r) => (r as { panel: string }).panel)).size;
  return figure(
    `${prefix}metrics`,
    'Held-out metrics per task',
    'Each task\'s metrics on the held-out split after every epoch; dashed: its single-task baseline. Where the solid line ends below (or, for errors, above) the dashed one, sharing cost that task.',
    wrapped(rows, 'panel', {
      mark: line(withPoints(rows.length, panels * 2)),
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'model', type: 'nominal', title: null, scale: { domain: ['multi-task', 'single-task'], range: ['#4c78a8', '#9d755d'] } },
        strokeDash: { field: 'model', type: 'nominal', title: null, scale: { domain: ['multi-task', 'single-task'], range: [[1, 0], [5, 3]] } },
      },
    }),
  );
}

/** Task weights over training steps: from the diagnostics lines when logged, else each epoch's last weights. */
export function weightsFigure(run: RunData, prefix = ''): Figure | undefined {
  const source = run.log.diagnostics.some((d) => Object.keys(d.weights).length > 0) ? 'diagnostics' : 'epochs';
  const rows: object[] = [];
  if (source === 'diagnostics') {
    for (const d of run.log.diagnostics) for (const [task, w] of Object.entries(d.weights)) rows.push({ step: d.step, task, weight: w });
  } else {
    for (const e of run.log.epochs) for (const [task, w] of Object.entries(e.weights)) rows.push({ step: e.step, task, weight: w });
  }
  if (rows.length === 0) return undefined;
  const constant = new Set(rows.map((r) => (r as { weight: number }).weight)).size === 1;
  return figure(
    `${prefix}weights`,
    'Task weights over training',
    `The weight the balancing method gave each task${source === 'diagnostics' ? ' at the logged steps' : ' at the last step of each epoch'}${constant ? ' (constant here: the method does not re-weight)' : ''}. A task whose weight keeps growing is one the method finds lagging.`,
    {
      data: { values: rows },
      width: PANEL_WIDTH * 2,
      height: PANEL_HEIGHT,
      mark: line(withPoints(rows.length, run.tasks.length)),
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'weight', type: 'quantitative', title: 'weight' },
        color: { field: 'task', type: 'nominal', title: 'task', sort: run.tasks },
      },
    },
  );
}

/** Per-task gradient norms over steps (diagnostics lines). */
export function gradientNormFigure(run: RunData, prefix = ''): Figure | undefined {
  const rows = run.log.diagnostics.flatMap((d) => Object.entries(d.gradientNorms).map(([task, norm]) => ({ step: d.step, task, norm })));
  if (rows.length === 0) return undefined;
  const norms = rows.map((r) => r.norm).filter((n) => n > 0);
  const log = norms.length === rows.length && Math.max(...norms) / Math.min(...norms) > 100;
  return figure(
    `${prefix}gradient-norms`,
    'Gradient norm per task',
    `The norm of each task's gradient on the shared parameters at the logged steps${log ? ' (log scale)' : ''}. A task whose gradient is much larger than the others dominates the shared update.`,
    {
      data: { values: rows },
      width: PANEL_WIDTH * 2,
      height: PANEL_HEIGHT,
      mark: line(withPoints(rows.length, run.tasks.length)),
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'norm', type: 'quantitative', title: '‖∇ task loss‖', scale: log ? { type: 'log' } : { zero: false } },
        color: { field: 'task', type: 'nominal', title: 'task', sort: run.tasks },
      },
    },
  );
}

/** A heatmap of a square task × task matrix with the values written in the cells. */
function matrixSpec(rows: object[], order: string[], x: string, y: string, field: string, scale: Record<string, unknown>, format: string, label?: string): Record<string, unknown> {
  const size = Math.min((label ? 118 : 64) * order.length, 700);
  return {
    data: { values: rows },
    width: size,
    height: size,
    encoding: {
      x: { field: x, type: 'nominal', sort: order, title: x, axis: { labelAngle: -30 } },
      y: { field: y, type: 'nominal', sort: order, title: y },
    },
    layer: [
      { mark: { type: 'rect' }, encoding: { color: { field, type: 'quantitative', scale, title: field } } },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: label ? { field: label, type: 'nominal' } : { field, type: 'quantitative', format },
          color: { condition: { test: `abs(datum['${field}']) > 0.6`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** Mean pairwise gradient cosines over the logged steps as a heatmap, with the share of steps in conflict (cosine < 0). */
export function cosineHeatmapFigure(run: RunData, prefix = ''): Figure | undefined {
  const sums = new Map<string, { sum: number; n: number; negative: number }>();
  for (const d of run.log.diagnostics) {
    for (const [pair, c] of Object.entries(d.cosines)) {
      const s = sums.get(pair) ?? { sum: 0, n: 0, negative: 0 };
      s.sum += c;
      s.n += 1;
      if (c < 0) s.negative += 1;
      sums.set(pair, s);
    }
  }
  if (sums.size === 0) return undefined;
  const tasks = run.tasks.length > 0 ? run.tasks : [...new Set([...sums.keys()].flatMap((p) => p.split('~')))];
  const rows: object[] = [];
  for (const a of tasks) {
    for (const b of tasks) {
      if (a === b) {
        rows.push({ task: a, 'other task': b, cosine: 1, label: '1' });
        continue;
      }
      const s = sums.get(`${a}~${b}`) ?? sums.get(`${b}~${a}`);
      if (!s) continue;
      const mean = s.sum / s.n;
      rows.push({ task: a, 'other task': b, cosine: mean, label: `${mean.toFixed(2)} (${Math.round((100 * s.negative) / s.n)}% < 0)` });
    }
  }
  const steps = run.log.diagnostics.length;
  return figure(
    `${prefix}gradient-cosines`,
    'Gradient cosine between tasks',
    `Mean cosine between two tasks' gradients over ${steps} logged step${steps === 1 ? '' : 's'}, and how often it was negative. Negative cosines are conflicting gradients: a step that helps one task hurts the other.`,
    matrixSpec(rows, tasks, 'other task', 'task', 'cosine', { domain: [-1, 1], scheme: 'redblue' }, '.2f', 'label'),
  );
}

/** Pairwise gradient cosines over steps, one line per task pair. */
export function cosineHistoryFigure(run: RunData, prefix = ''): Figure | undefined {
  const rows = run.log.diagnostics.flatMap((d) => Object.entries(d.cosines).map(([pair, cosine]) => ({ step: d.step, pair: pair.replace('~', ' ~ '), cosine })));
  if (rows.length === 0) return undefined;
  const pairs = new Set(rows.map((r) => r.pair)).size;
  return figure(
    `${prefix}gradient-cosine-history`,
    'Gradient cosine over training',
    'The cosine between each pair of tasks\' gradients at the logged steps; below the zero line the tasks pull the shared parameters in conflicting directions.',
    {
      data: { values: rows },
      width: PANEL_WIDTH * 2,
      height: PANEL_HEIGHT,
      layer: [
        { mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { y: { datum: 0, type: 'quantitative' } } },
        {
          mark: line(withPoints(rows.length, pairs)),
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'step' },
            y: { field: 'cosine', type: 'quantitative', title: 'cosine', scale: { domain: [-1, 1] } },
            color: { field: 'pair', type: 'nominal', title: 'task pair' },
          },
        },
      ],
    },
  );
}

/** Multi-task against single-task test metrics: the relative change of each metric, signed as in Δm (below zero: sharing helped). */
export function baselineFigure(run: RunData, all: readonly RunData[], prefix = ''): Figure | undefined {
  const comparisons = runComparisons(run, all);
  if (!comparisons) return undefined;
  const rows = comparisons
    .filter((c) => Number.isFinite(c.singleTask) && c.singleTask !== 0)
    .map((c) => {
      const change = ((c.direction === 'higher' ? -1 : 1) * (c.multiTask - c.singleTask) * 100) / Math.abs(c.singleTask);
      return {
        metric: `${c.task} · ${c.metric}`,
        change,
        outcome: change <= 0 ? 'multi-task better' : 'multi-task worse',
        label: `${c.multiTask.toFixed(4)} vs ${c.singleTask.toFixed(4)}`,
      };
    });
  if (rows.length === 0) return undefined;
  const d = rows.reduce((s, r) => s + r.change, 0) / rows.length;
  const dm = run.summary?.deltaM ?? d;
  return figure(
    `${prefix}delta-m`,
    `Multi-task against single-task: Δm = ${dm >= 0 ? '+' : ''}${dm.toFixed(2)}%`,
    'Each test metric\'s relative change against its single-task baseline, in percent and signed as in Δm (Maninis et al., 2019): below zero the multi-task model is better. Δm is their mean. The labels give multi-task vs single-task values.',
    {
      data: { values: rows },
      width: PANEL_WIDTH * 2,
      height: Math.max(60, 26 * rows.length),
      encoding: { y: { field: 'metric', type: 'nominal', title: null, sort: rows.map((r) => r.metric) } },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'change', type: 'quantitative', title: 'relative change (%, lower is better)' },
            color: { field: 'outcome', type: 'nominal', title: null, scale: { domain: ['multi-task better', 'multi-task worse'], range: ['#54a24b', '#e45756'] } },
          },
        },
        { mark: { type: 'rule', color: '#333' }, encoding: { x: { datum: 0, type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' }, encoding: { x: { datum: 0, type: 'quantitative' }, text: { field: 'label', type: 'nominal' } } },
      ],
    },
  );
}

/** AdaShare's select/skip policy: which blocks each task executes, shaded by the learned execute probability. */
export function policyFigure(run: RunData, prefix = ''): Figure | undefined {
  if (!run.policy) return undefined;
  const rows: object[] = [];
  for (const [task, blocks] of Object.entries(run.policy.policy)) {
    blocks.forEach((selected, block) => {
      const p = run.policy!.executeProbabilities?.[task]?.[block];
      rows.push({ task, block: `block ${block + 1}`, order: block, execute: p ?? (selected ? 1 : 0), label: selected ? 'select' : 'skip', selected });
    });
  }
  if (rows.length === 0) return undefined;
  const blocks = Math.max(...Object.values(run.policy.policy).map((b) => b.length));
  const tasks = Object.keys(run.policy.policy);
  return figure(
    `${prefix}adashare-policy`,
    'AdaShare select/skip policy',
    `For each task, which of the ${blocks} shared blocks it executes (select) or skips, shaded by the learned probability of executing it${run.policy.executeProbabilities ? '' : ' (not saved: 1 or 0)'}. Blocks two tasks both select are shared between them.`,
    {
      data: { values: rows },
      width: Math.min(46 * blocks, 700),
      height: 30 * tasks.length,
      encoding: {
        x: { field: 'block', type: 'ordinal', sort: { field: 'order' }, title: null, axis: { labelAngle: 0 } },
        y: { field: 'task', type: 'nominal', sort: tasks, title: null },
      },
      layer: [
        { mark: { type: 'rect', stroke: 'white', strokeWidth: 2 }, encoding: { color: { field: 'execute', type: 'quantitative', title: 'P(execute)', scale: { domain: [0, 1], scheme: 'blues' } } } },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: { text: { field: 'label', type: 'nominal' }, color: { condition: { test: 'datum.execute > 0.6', value: 'white' }, value: '#333' } },
        },
      ],
    },
  );
}

function lastWith<K extends 'gates' | 'stitches'>(log: MetricsLog, key: K): ArchitectureLine | undefined {
  return [...log.architecture].reverse().find((a) => (a[key]?.length ?? 0) > 0);
}

/** MMoE/PLE: each gate's mean weight on each expert at the last logged epoch. */
export function gateFigure(run: RunData, prefix = ''): Figure | undefined {
  const last = lastWith(run.log, 'gates');
  if (!last) return undefined;
  const levels = new Set(last.gates!.map((g) => g.level)).size;
  const rows = last.gates!.flatMap((g) =>
    g.experts.map((expert, e) => ({ gate: levels > 1 ? `${g.gate} (level ${g.level + 1})` : g.gate, expert, weight: g.weights[e]! })),
  );
  const gates = [...new Set(rows.map((r) => r.gate))];
  const experts = [...new Set(rows.map((r) => r.expert))];
  return figure(
    `${prefix}gate-usage`,
    `Expert usage by gate (epoch ${last.epoch + 1})`,
    'Mean softmax weight each gate gives each expert on held-out examples. A task whose gate puts its weight on experts no other gate uses has found its own; a uniform row has not specialised.',
    {
      data: { values: rows },
      width: Math.min(52 * experts.length, 760),
      height: 28 * gates.length,
      encoding: {
        x: { field: 'expert', type: 'nominal', sort: experts, title: 'expert', axis: { labelAngle: -30 } },
        y: { field: 'gate', type: 'nominal', sort: gates, title: 'gate' },
      },
      layer: [
        { mark: { type: 'rect', stroke: 'white' }, encoding: { color: { field: 'weight', type: 'quantitative', title: 'mean gate weight', scale: { domain: [0, 1], scheme: 'greens' } } } },
        { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'weight', type: 'quantitative', format: '.2f' }, color: { condition: { test: 'datum.weight > 0.6', value: 'white' }, value: '#333' } } },
      ],
    },
  );
}

/** MMoE/PLE: each gate's mean weight per expert over the epochs, one panel per gate (a gate collapsing onto one expert shows as one line rising to 1). */
export function gateHistoryFigure(run: RunData, prefix = ''): Figure | undefined {
  const records = run.log.architecture.filter((a) => (a.gates?.length ?? 0) > 0);
  if (records.length < 2) return undefined;
  const levels = new Set(records.flatMap((a) => a.gates!.map((g) => g.level))).size;
  const rows = records.flatMap((a) =>
    a.gates!.flatMap((g) => g.experts.map((expert, e) => ({ epoch: a.epoch + 1, gate: levels > 1 ? `${g.gate} (level ${g.level + 1})` : g.gate, expert, weight: g.weights[e]! }))),
  );
  const gates = [...new Set(rows.map((r) => r.gate))];
  const experts = new Set(rows.map((r) => r.expert)).size;
  return figure(
    `${prefix}gate-usage-history`,
    'Expert usage by gate over training',
    "Each gate's mean weight on each expert after every epoch. Gates that drift apart are specialising; a gate that puts all its weight on one expert has collapsed onto it.",
    wrapped(rows, 'gate', {
      mark: line(withPoints(rows.length, gates.length * experts)),
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'weight', type: 'quantitative', title: 'mean gate weight', scale: { domain: [0, 1] } },
        color: { field: 'expert', type: 'nominal', title: 'expert' },
      },
    }, 3, gates),
  );
}

/** Cross-stitch: every stitch unit's T×T mixing matrix at the last logged epoch. */
export function stitchFigure(run: RunData, prefix = ''): Figure | undefined {
  const last = lastWith(run.log, 'stitches');
  if (!last) return undefined;
  const rows = last.stitches!.flatMap((s) => s.tasks.flatMap((to, i) => s.tasks.map((from, j) => ({ unit: s.layer, 'input of': to, 'activation of': from, weight: s.matrix[i]![j]! }))));
  const tasks = last.stitches![0]!.tasks;
  return figure(
    `${prefix}cross-stitch`,
    `Cross-stitch mixing weights (epoch ${last.epoch + 1})`,
    "Each unit's learned matrix α: row t says how much of every task's activation goes into task t's next layer. Near-identity rows keep the towers apart; large off-diagonal weights share.",
    {
      data: { values: rows },
      facet: { field: 'unit', type: 'nominal', title: null, sort: last.stitches!.map((s) => s.layer) },
      columns: 4,
      spec: {
        width: Math.min(48 * tasks.length, 240),
        height: Math.min(48 * tasks.length, 240),
        encoding: {
          x: { field: 'activation of', type: 'nominal', sort: tasks },
          y: { field: 'input of', type: 'nominal', sort: tasks },
        },
        layer: [
          { mark: { type: 'rect' }, encoding: { color: { field: 'weight', type: 'quantitative', title: 'α', scale: { scheme: 'purples' } } } },
          { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'weight', type: 'quantitative', format: '.2f' }, color: { condition: { test: 'datum.weight > 0.6', value: 'white' }, value: '#333' } } },
        ],
      },
    },
  );
}

/** An inter-task affinity matrix as a heatmap (row: the task whose update is taken; column: the task whose loss it changes). */
export function affinityFigure(affinity: AffinityMatrix, prefix = ''): Figure | undefined {
  const rows: object[] = [];
  affinity.tasks.forEach((from, i) =>
    affinity.tasks.forEach((to, j) => {
      const v = affinity.values[i]?.[j];
      if (v !== null && v !== undefined) rows.push({ 'update of': from, 'loss of': to, affinity: v });
    }),
  );
  if (rows.length === 0) return undefined;
  const extent = Math.max(...rows.map((r) => Math.abs((r as { affinity: number }).affinity)), 1e-12);
  return figure(
    `${prefix}affinity`,
    `Inter-task affinity${affinity.method ? ` (${affinity.method})` : ''}`,
    'How much a step on one task (row) lowers another task\'s loss (column): positive values are tasks that help each other and belong in one network; negative ones hurt each other.',
    matrixSpec(rows, affinity.tasks, 'loss of', 'update of', 'affinity', { domain: [-extent, extent], scheme: 'redblue' }, '.3f'),
  );
}

/** The networks a grouping chose: which tasks each is trained on and which it serves. */
export function groupingFigure(grouping: TaskGrouping, prefix = ''): Figure | undefined {
  const tasks = [...new Set(grouping.networks.flatMap((n) => n.tasks))];
  const names = grouping.networks.map((n) => `${n.id}${n.cost !== undefined ? ` (cost ${n.cost})` : ''}`);
  const rows = grouping.networks.flatMap((n, i) => n.tasks.map((task) => ({ network: names[i], task, role: n.serves.includes(task) ? 'serves' : 'trained on only' })));
  if (rows.length === 0) return undefined;
  const facts = [
    grouping.budget !== undefined ? `budget ${grouping.budget}` : '',
    grouping.cost !== undefined ? `cost ${grouping.cost}` : '',
    grouping.total !== undefined ? `total ${grouping.total.toFixed(4)}` : '',
    grouping.solver ? `${grouping.solver}${grouping.optimal === true ? ', optimal' : grouping.optimal === false ? ', not proven optimal' : ''}` : '',
  ].filter(Boolean);
  return figure(
    `${prefix}task-groups`,
    `Chosen task groups${facts.length ? ` (${facts.join('; ')})` : ''}`,
    'The networks the grouping search chose: a filled cell means the network is trained on that task and its predictions are used for it; a pale cell, trained on it (as an auxiliary task) but another network serves it.',
    {
      data: { values: rows },
      width: Math.min(60 * tasks.length, 600),
      height: 28 * names.length,
      encoding: {
        x: { field: 'task', type: 'nominal', sort: tasks, title: 'task', axis: { labelAngle: 0 } },
        y: { field: 'network', type: 'nominal', sort: names, title: 'network' },
      },
      layer: [
        { mark: { type: 'rect', stroke: 'white', strokeWidth: 2 }, encoding: { color: { field: 'role', type: 'nominal', title: null, scale: { domain: ['serves', 'trained on only'], range: ['#4c78a8', '#c6dbef'] } } } },
        { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'role', type: 'nominal' }, color: { condition: { test: "datum.role == 'serves'", value: 'white' }, value: '#333' } } },
      ],
    },
  );
}

/** Every figure a run folder supports, in reading order; `prefix` keeps ids unique in a report of several runs. */
export function runFigures(run: RunData, all: readonly RunData[] = [run], prefix = ''): Figure[] {
  return [
    lossFigure(run, prefix),
    metricFigure(run, prefix),
    baselineFigure(run, all, prefix),
    weightsFigure(run, prefix),
    gradientNormFigure(run, prefix),
    cosineHeatmapFigure(run, prefix),
    cosineHistoryFigure(run, prefix),
    policyFigure(run, prefix),
    gateFigure(run, prefix),
    gateHistoryFigure(run, prefix),
    stitchFigure(run, prefix),
    run.affinity ? affinityFigure(run.affinity, prefix) : undefined,
    run.grouping ? groupingFigure(run.grouping, prefix) : undefined,
  ].filter((f): f is Figure => f !== undefined);
}

/** A figure-id prefix for a run (`<slug>--`), so that several runs' figures never share an id. */
export function runPrefix(name: string): string {
  return `${slug(name)}--`;
}
