import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/runCli.js';
import { collectInputs } from '../../src/report/reportInputs.js';
import { tableFromRuns } from '../../src/report/resultsTable.js';
import { configurationResults, groupConfigurations, paretoOptimal } from '../../src/report/runComparison.js';
import { config, epochLines, snapshot, summary, tempDir, writeRun } from './helpers.js';

/** bench/methodTable.ts's layout: baselines-s<seed>/ (single-task only) beside <method>-s<seed>/ (multi-task only). */
function benchLayout(root: string): void {
  const baselines = { 0: { a: 0.8, b: 2.0 }, 1: { a: 0.9, b: 1.0 } } as const;
  const runs = { equal: { 0: [0.7, 2.5], 1: [0.8, 1.5] }, pcgrad: { 0: [0.84, 1.8], 1: [0.9, 1.0] } } as const;
  for (const seed of [0, 1] as const) {
    const s = summary(0, 0, baselines[seed]) as Record<string, unknown>;
    delete s.multiTask;
    writeRun(join(root, `baselines-s${seed}`), { config: config('equal', seed, { baselines: true }), summary: s, baselineLines: { a: epochLines(3), b: epochLines(3) } });
    for (const method of ['equal', 'pcgrad'] as const) {
      const [a, b] = runs[method][seed];
      writeRun(join(root, `${method}-s${seed}`), { config: config(method, seed), lines: epochLines(3), summary: summary(a, b) });
    }
  }
}

test('tableFromRuns: seeds as mean ± std, Δm against the baselines of the same seed, the single-task row first (hand-computed)', () => {
  const root = tempDir();
  try {
    benchLayout(root);
    const { runs } = collectInputs([root]);
    assert.equal(runs.length, 6);
    const table = tableFromRuns(runs, { firstColumn: 'method' });
    assert.equal(
      table,
      [
        'main metric per task: a accuracy ×100 (higher is better), b mse (lower is better); Δm in % against the single-task baselines (lower is better); mean ± std over seeds',
        '',
        '| method | a | b | Δm |',
        '| --- | --- | --- | --- |',
        '| single-task | 85.00 ± 7.07 | 1.50 ± 0.71 | 0 |',
        '| equal | 75.00 ± 7.07 | 2.00 ± 0.71 | 24.65 ± 8.35 |',
        '| pcgrad | 87.00 ± 4.24 | 1.40 ± 0.57 | -3.75 ± 5.30 |',
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('configurations are labelled by what sets them apart; unfinished runs and runs without baselines are noted under the table', () => {
  const root = tempDir();
  try {
    writeRun(join(root, 'r1'), { config: config('equal', 0), lines: epochLines(3), summary: summary(0.7, 2.5, { a: 0.8, b: 2.0 }) });
    writeRun(join(root, 'r2'), { config: config('equal', 0, { model: { architecture: 'mmoe', encoder: { type: 'mlp', hidden: [8] } } }), lines: epochLines(3), summary: summary(0.8, 2.0) });
    writeRun(join(root, 'r3'), { config: config('pcgrad', 0), lines: epochLines(1) });
    const { runs } = collectInputs([root]);
    const labels = groupConfigurations(runs).map((c) => c.label);
    assert.deepEqual(labels, ['equal · hard-sharing', 'equal · mmoe', 'pcgrad · hard-sharing']);
    const results = configurationResults(groupConfigurations(runs), runs);
    // r2 has no baselines of its own: Δm against r1's (same seed, same data): a −(0.8−0.8)/0.8 = 0, b (2.0−2.0)/2.0 = 0.
    assert.deepEqual(results.find((r) => r.label === 'equal · mmoe')!.deltaM, [0]);
    assert.equal(results.find((r) => r.label === 'pcgrad · hard-sharing')!.unfinished, 1);
    const table = tableFromRuns(runs);
    assert.match(table, /\| equal · hard-sharing \| 70\.00 \| 2\.50 \| 18\.75 \|/);
    assert.match(table, /- pcgrad · hard-sharing: 1 run without final results/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('paretoOptimal: dominated points are the ones another point beats on one objective without losing on any', () => {
  // objectives: first higher-is-better, second lower-is-better.
  const points = [
    [85, 1.5], // dominated by [87, 1.4]
    [75, 2.0], // dominated
    [87, 1.4], // optimal
    [90, 3.0], // optimal (best first objective)
    [87, 1.4], // a tie with the third: neither dominates the other
  ];
  assert.deepEqual(paretoOptimal(points, ['higher', 'lower']), [false, false, true, true, true]);
  assert.deepEqual(paretoOptimal([[1, 1]], ['lower', 'lower']), [true]);
});

test('mtl report writes the HTML page, the SVG files and the Markdown table; reads the run folders only', async () => {
  const root = tempDir();
  const out = tempDir('mtl-report-out-');
  try {
    benchLayout(join(root, 'runs'));
    const before = snapshot(root);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io = { out: (t: string) => stdout.push(t), err: (t: string) => stderr.push(t) };
    const code = await runCli(['report', join(root, 'runs'), '--out', join(out, 'r.html'), '--svg', join(out, 'svg'), '--markdown', join(out, 't.md')], io);
    assert.equal(code, 0, stderr.join(''));
    const html = readFileSync(join(out, 'r.html'), 'utf8');
    assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]+"/g, '')), 'no script and no external resource');
    const svgs = readdirSync(join(out, 'svg'));
    assert.ok(svgs.includes('pareto.svg') && svgs.includes('compare-delta-m.svg') && svgs.includes('compare-metrics.svg'), svgs.join(', '));
    assert.equal((html.match(/<svg /g) ?? []).length, svgs.length, 'the page inlines every figure the SVG folder has');
    assert.match(readFileSync(join(out, 't.md'), 'utf8'), /\| pcgrad \| 87\.00 ± 4\.24 \| 1\.40 ± 0\.57 \| -3\.75 ± 5\.30 \|/);
    assert.match(stdout.join(''), /report: 6 runs, \d+ figures/);
    assert.equal(snapshot(root), before, 'nothing written into the run folders');

    stdout.length = 0;
    assert.equal(await runCli(['report', join(root, 'runs', 'equal-s0'), '--out', join(out, 'one.html'), '--markdown', '-'], io), 0);
    assert.match(stdout.join(''), /\| toy-equal \| 70\.00 \| 2\.50 \|/);
    assert.match(stdout.join(''), /note: .*no single-task baselines/);

    stderr.length = 0;
    assert.equal(await runCli(['report', join(root, 'missing'), '--out', join(out, 'x.html')], io), 1);
    assert.match(stderr.join(''), /error \[report\.missing_folder\]/);
    assert.ok(!existsSync(join(out, 'x.html')));
    stderr.length = 0;
    assert.equal(await runCli(['report'], io), 2);
    assert.match(stderr.join(''), /error \[cli\.missing_argument\]/);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});
