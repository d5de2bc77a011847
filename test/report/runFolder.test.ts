import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildReport, renderReport } from '../../src/report/buildReport.js';
import { parseMetricsLog } from '../../src/report/metricsLog.js';
import { collectInputs } from '../../src/report/reportInputs.js';
import { reportHtml } from '../../src/report/reportPage.js';
import { readRun } from '../../src/report/runFolder.js';
import { config, epochLines, markCount, snapshot, summary, tempDir, writeRun } from './helpers.js';

test('parseMetricsLog keeps every whole line and names what it left out', () => {
  const text = [
    JSON.stringify({ type: 'epoch', epoch: 0, step: 5, trainLoss: { a: 0.5, b: null }, weights: { a: 1, b: 1 } }),
    '{"type":"diagnostics","step":5,"epoch":0,"weights":{"a":1},"gradientNorms":{"a":2},"cosines":{"a~b":-0.25}}',
    'garbage in the middle',
    JSON.stringify({ type: 'something-new', x: 1 }),
    JSON.stringify({ type: 'epoch', step: 3 }),
    JSON.stringify({ type: 'architecture', epoch: 0, step: 5, gates: [{ gate: 'task:a', level: 0, experts: ['e0', 'e1'], weights: [0.25, 0.75] }, { gate: 'bad', experts: ['e0'], weights: [] }] }),
    '{"type":"epoch","epoch":1,"step":10,"trainLo',
  ].join('\n');
  const log = parseMetricsLog(text);
  assert.equal(log.epochs.length, 1);
  assert.deepEqual(log.epochs[0]!.trainLoss, { a: 0.5 }, 'a null (NaN written by JSON) is dropped, not read as 0');
  assert.equal(log.diagnostics.length, 1);
  assert.equal(log.diagnostics[0]!.cosines['a~b'], -0.25);
  assert.equal(log.architecture.length, 1);
  assert.deepEqual(log.architecture[0]!.gates, [{ gate: 'task:a', level: 0, experts: ['e0', 'e1'], weights: [0.25, 0.75] }], 'a gate whose weights do not match its experts is dropped');
  assert.equal(log.problems.length, 3, log.problems.join('\n'));
  assert.match(log.problems[0]!, /line 3 is not valid JSON/);
  assert.match(log.problems[1]!, /line 5 .*lacks its epoch/);
  assert.match(log.problems[2]!, /last line \(line 7\) is cut short/);
  // The same text with its newline: a damaged last line is no longer a line being written.
  assert.match(parseMetricsLog(text + '\n').problems[2]!, /line 7 is not valid JSON/);
});

test('a half-written run folder (cut-off metrics line, no summary) reads and renders what is there, and says what is missing', async () => {
  const root = tempDir();
  try {
    const dir = writeRun(join(root, 'half'), { config: config('equal', 0), lines: epochLines(2), tail: '{"type":"epoch","epoch":2,"st' });
    const before = snapshot(root);
    const run = readRun(dir);
    assert.equal(run.status, 'incomplete');
    assert.equal(run.log.epochs.length, 2);
    assert.deepEqual(run.tasks, ['a', 'b']);
    assert.ok(run.problems.some((p) => /last line \(line 3\) is cut short/.test(p)), run.problems.join('\n'));
    assert.ok(run.problems.some((p) => /no summary\.json: the run is still training or was stopped after 2 epochs/.test(p)), run.problems.join('\n'));
    const report = await renderReport(buildReport(collectInputs([dir])));
    const figures = report.sections.flatMap((s) => s.figures);
    assert.deepEqual(figures.map((f) => f.id), ['loss', 'metrics', 'weights']);
    for (const f of figures) assert.ok(markCount(f.svg) > 0, `${f.id} has marks`);
    const html = reportHtml(report);
    assert.match(html, /Missing or unreadable/);
    assert.match(html, /cut short/);
    assert.equal(snapshot(root), before, 'reading and reporting wrote nothing into the folder');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a finished run missing one baseline, with damaged side files, still reports; Δm is left out and said so', async () => {
  const root = tempDir();
  try {
    const s = summary(0.8, 1.5, { a: 0.75, b: 1.2 }) as { singleTask: Record<string, unknown> };
    delete s.singleTask.b;
    const dir = writeRun(join(root, 'one-baseline'), {
      config: config('equal', 0),
      lines: epochLines(3),
      summary: s,
      files: { 'policy.json': '{not json', 'affinity.json': { unexpected: true } },
    });
    const run = readRun(dir);
    assert.equal(run.status, 'finished');
    assert.equal(run.policy, undefined);
    assert.equal(run.affinity, undefined);
    const problems = run.problems.join('\n');
    assert.match(problems, /no single-task baseline for b: Δm left out/);
    assert.match(problems, /policy\.json could not be read/);
    assert.match(problems, /affinity\.json is in no shape the report knows/);
    const report = await renderReport(buildReport(collectInputs([dir])));
    const ids = report.sections.flatMap((s) => s.figures.map((f) => f.id));
    assert.ok(!ids.includes('delta-m'), 'no Δm figure without every baseline');
    assert.ok(!report.sections[0]!.facts.some(([k]) => k === 'Δm'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder with only a summary (no config, no metrics) and an unreadable summary are reported, not thrown', () => {
  const root = tempDir();
  try {
    const onlySummary = readRun(writeRun(join(root, 'only-summary'), { summary: summary(0.8, 1.5) }));
    assert.deepEqual(onlySummary.tasks, ['a', 'b']);
    assert.ok(onlySummary.problems.some((p) => p.startsWith('no config.json')));
    assert.ok(onlySummary.problems.some((p) => p.startsWith('no metrics.jsonl')));
    assert.ok(onlySummary.problems.some((p) => p.startsWith('no single-task baselines')));
    const broken = readRun(writeRun(join(root, 'broken'), { config: config('equal', 0), summary: '{"multiTask": ' }));
    assert.equal(broken.summary, undefined);
    assert.ok(broken.problems.some((p) => /summary\.json could not be read/.test(p)), broken.problems.join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('collectInputs: a missing path, a file and an empty folder are coded errors; a folder of runs is its runs', () => {
  const root = tempDir();
  try {
    assert.throws(() => collectInputs([join(root, 'nope')]), (e: { code?: string }) => e.code === 'report.missing_folder');
    writeRun(join(root, 'x'), { config: config('equal', 0) });
    assert.throws(() => collectInputs([join(root, 'x', 'config.json')]), (e: { code?: string }) => e.code === 'report.not_a_folder');
    const empty = join(root, 'empty');
    writeRun(join(empty, 'sub'), {});
    assert.throws(() => collectInputs([join(empty, 'sub')]), (e: { code?: string }) => e.code === 'report.no_runs');
    writeRun(join(root, 'table', 'equal-s0'), { config: config('equal', 0) });
    writeRun(join(root, 'table', 'equal-s1'), { config: config('equal', 1) });
    const inputs = collectInputs([join(root, 'table'), join(root, 'table', 'equal-s0')]);
    assert.deepEqual(inputs.runs.map((r) => r.name), ['toy-equal-s0', 'toy-equal-s1'], 'the same run given twice is read once');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
