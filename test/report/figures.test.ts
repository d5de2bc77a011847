import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildReport, renderReport } from '../../src/report/buildReport.js';
import { collectInputs } from '../../src/report/reportInputs.js';
import { renderSvg } from '../../src/report/renderFigure.js';
import { runFigures } from '../../src/report/runFigures.js';
import { readRun } from '../../src/report/runFolder.js';
import { parseAffinity, parseGrouping } from '../../src/report/taskGroupsFile.js';
import { config, epochLines, markCount, summary, tempDir, writeRun } from './helpers.js';

const diagnostics = [
  { type: 'diagnostics', step: 5, epoch: 0, weights: { a: 1.2, b: 0.8 }, gradientNorms: { a: 2, b: 0.5 }, cosines: { 'a~b': 0.5 } },
  { type: 'diagnostics', step: 10, epoch: 0, weights: { a: 1.1, b: 0.9 }, gradientNorms: { a: 1.5, b: 0.6 }, cosines: { 'a~b': -0.3 } },
];
const architecture = [
  { type: 'architecture', epoch: 1, step: 20, gates: [{ gate: 'task:a', level: 0, experts: ['expert0', 'expert1'], weights: [0.5, 0.5] }, { gate: 'task:b', level: 0, experts: ['expert0', 'expert1'], weights: [0.5, 0.5] }] },
  {
    type: 'architecture',
    epoch: 2,
    step: 30,
    gates: [
      { gate: 'task:a', level: 0, experts: ['expert0', 'expert1'], weights: [0.7, 0.3] },
      { gate: 'task:b', level: 0, experts: ['expert0', 'expert1'], weights: [0.25, 0.75] },
    ],
    stitches: [{ layer: 'cross_stitch_0', tasks: ['a', 'b'], matrix: [[0.9, 0.1], [0.2, 0.8]] }],
  },
];

function fullRun(dir: string): string {
  return writeRun(dir, {
    config: config('pcgrad', 0),
    lines: [...epochLines(3), ...diagnostics, ...architecture],
    summary: summary(0.7, 2.5, { a: 0.8, b: 2.0 }),
    baselineLines: { a: epochLines(3), b: epochLines(3) },
    files: {
      'policy.json': { policy: { a: [true, false, true], b: [true, true, false] }, executeProbabilities: { a: [0.9, 0.2, 0.7], b: [0.8, 0.6, 0.1] } },
      'affinity.json': { tasks: ['a', 'b'], matrix: [[0, 0.04], [-0.02, 0]], method: 'tag' },
      'grouping.json': { networks: [{ id: 'a+b', tasks: ['a', 'b'], serves: ['a'], cost: 1 }, { id: 'b', tasks: ['b'], cost: 1 }], budget: 2, cost: 2, total: 0.5, solver: 'branch-and-bound', optimal: true },
    },
  });
}

test('every figure of a run renders to an SVG with marks, showing the numbers of the folder', async () => {
  const root = tempDir();
  try {
    const run = readRun(fullRun(join(root, 'run')));
    assert.deepEqual(run.problems, []);
    const figures = runFigures(run);
    assert.deepEqual(figures.map((f) => f.id), [
      'loss', 'metrics', 'delta-m', 'weights', 'gradient-norms', 'gradient-cosines', 'gradient-cosine-history', 'adashare-policy', 'gate-usage', 'gate-usage-history', 'cross-stitch', 'affinity', 'task-groups',
    ]);
    const svg: Record<string, string> = {};
    for (const f of figures) {
      svg[f.id] = await renderSvg(f);
      assert.ok(svg[f.id]!.startsWith('<svg role="img"'), f.id);
      assert.ok(markCount(svg[f.id]!) > 0, `${f.id}: an SVG with marks`);
    }
    // Mean cosine (0.5 − 0.3)/2 = 0.10, negative in 1 of 2 logged steps.
    assert.ok(svg['gradient-cosines']!.includes('0.10 (50% &lt; 0)'), 'the cosine cell says its mean and conflict share');
    // Δm: a −(0.7 − 0.8)/0.8 = 12.5%, b (2.5 − 2.0)/2.0 = 25%: mean 18.75%.
    assert.match(svg['delta-m']!, /Δm = \+18\.75%/);
    assert.ok(svg['gate-usage']!.includes('>0.70<') && svg['gate-usage']!.includes('>0.75<'));
    assert.equal((svg['adashare-policy']!.match(/>skip</g) ?? []).length, 2, 'two skipped blocks');
    assert.ok(svg['cross-stitch']!.includes('>0.20<'));
    assert.equal((svg['gate-usage-history']!.match(/<path [^>]*d="M[^"]*L/g) ?? []).length, 4, 'a line per gate and expert: 2 gates × 2 experts');
    assert.ok(svg['gate-usage']!.includes('(epoch 3)'), 'the heatmap shows the last logged epoch');
    assert.ok(svg['affinity']!.includes('>0.040<') && svg['affinity']!.includes('>−0.020<'));
    assert.match(svg['task-groups']!, /trained on only/);
    // The training-loss panel of task a has its three epochs as points: 3 training + 3 held-out + 3 single-task.
    assert.ok(markCount(svg['loss']!) >= 18);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a report of several runs: comparison figures, unique figure ids and no colliding SVG element ids', async () => {
  const root = tempDir();
  try {
    fullRun(join(root, 'pcgrad-s0'));
    writeRun(join(root, 'equal-s0'), { config: config('equal', 0), lines: [...epochLines(3), ...diagnostics], summary: summary(0.8, 2.0, { a: 0.8, b: 2.0 }) });
    writeRun(join(root, 'equal-s1'), { config: config('equal', 1), lines: epochLines(3), summary: summary(0.82, 1.9, { a: 0.8, b: 2.0 }) });
    const report = await renderReport(buildReport(collectInputs([root])));
    assert.equal(report.sections[0]!.id, 'comparison');
    assert.deepEqual(report.sections[0]!.figures.map((f) => f.id), ['compare-metrics', 'compare-delta-m', 'pareto', 'compare-curves']);
    const all = report.sections.flatMap((s) => s.figures);
    assert.equal(new Set(all.map((f) => f.id)).size, all.length, 'figure ids are unique');
    const ids = all.flatMap((f) => [...f.svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!));
    assert.equal(new Set(ids).size, ids.length, 'SVG element ids are unique across the page');
    for (const f of all) assert.ok(markCount(f.svg) > 0, `${f.id} has marks`);
    const table = report.sections[0]!.table!;
    assert.deepEqual(table.rows.map((r) => r[0]), ['single-task', 'equal', 'pcgrad']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a sweep folder is read as its trial runs, labelled by sweep.json, with the sweep\'s own affinity and groups', async () => {
  const root = tempDir();
  try {
    const sweep = join(root, 'sweep');
    writeRun(join(sweep, 'trials', 't0'), { config: config('equal', 0), lines: epochLines(2), summary: summary(0.8, 2.0, { a: 0.8, b: 2.0 }) });
    writeRun(join(sweep, 'trials', 't1'), { config: config('equal', 1), lines: epochLines(2), summary: summary(0.7, 2.0, { a: 0.8, b: 2.0 }) });
    writeRun(sweep, {
      files: {
        'sweep.json': { name: 'lr-sweep', rows: [{ label: 'lr=0.01', trials: [{ runDir: 'trials/t0', seed: 0 }, { runDir: 'trials/t1', seed: 1 }] }] },
        'affinity.json': { affinity: { a: { b: 0.1 }, b: { a: -0.05 } } },
        'grouping.json': { groups: [['a', 'b']] },
      },
    });
    const inputs = collectInputs([sweep]);
    assert.equal(inputs.runs.length, 2);
    assert.equal(inputs.sweeps[0]!.name, 'lr-sweep');
    const report = buildReport(inputs);
    assert.deepEqual(report.sections[0]!.table!.rows.map((r) => r[0]), ['single-task', 'lr=0.01']);
    const sweepSection = report.sections.find((s) => s.heading === 'Sweep lr-sweep')!;
    assert.deepEqual(sweepSection.figures.map((f) => f.id), ['sweep--affinity', 'sweep--task-groups']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('affinity.json and grouping.json readers accept the documented shapes and refuse others', () => {
  const expected = { tasks: ['a', 'b'], values: [[null, 0.1], [-0.05, null]] };
  assert.deepEqual(parseAffinity({ tasks: ['a', 'b'], matrix: [[null, 0.1], [-0.05, null]] }), expected);
  assert.deepEqual(parseAffinity({ affinity: { a: { b: 0.1 }, b: { a: -0.05 } } }), expected);
  assert.deepEqual(parseAffinity({ a: { b: 0.1 }, b: { a: -0.05 } }), expected);
  assert.deepEqual(parseAffinity({ pairs: [{ from: 'a', to: 'b', value: 0.1 }, { source: 'b', target: 'a', affinity: -0.05 }], method: 'tag' }), { ...expected, method: 'tag' });
  assert.equal(parseAffinity({ tasks: ['a'], matrix: [[1, 2]] }), undefined, 'a matrix that does not match its tasks');
  assert.equal(parseAffinity([1, 2]), undefined);
  assert.deepEqual(parseGrouping([['a', 'b'], ['c']]), { networks: [{ id: 'a+b', tasks: ['a', 'b'], serves: ['a', 'b'] }, { id: 'c', tasks: ['c'], serves: ['c'] }] });
  assert.deepEqual(parseGrouping({ selection: { networks: [{ tasks: ['a', 'b'], serves: ['b'], cost: 1 }], budget: 1, optimal: false } }), {
    networks: [{ id: 'a+b', tasks: ['a', 'b'], serves: ['b'], cost: 1 }],
    budget: 1,
    optimal: false,
  });
  assert.equal(parseGrouping({ networks: [] }), undefined);
  assert.equal(parseGrouping('a+b'), undefined);
});
