import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { findChromium, launchChromium } from '../../scripts/headlessChromium.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { startDashboard, type Dashboard } from '../../src/report/dashboard/dashboardServer.js';
import { writeReport } from '../../src/report/writeReport.js';
import { writeRun } from '../report/helpers.js';

/**
 * End to end in a real browser (headless Chromium driven by playwright-core, the
 * system's browser; no download): a run trains in a child process while the dashboard
 * shows it, and the page's loss curve gains points without a reload; then `mtl report`
 * of finished runs (two seeds, another architecture, the stopped live run and a folder
 * with a policy, affinity and groups) opens from disk with every figure drawn (an SVG
 * with marks), no console error and no network request; path traversal gets 404.
 * Screenshots go to test-artifacts/report/ (or $MTL_TEST_ARTIFACTS).
 * Without Chromium the test skips, except under CI=true, where it fails.
 */

const ROOT = process.cwd();
/** In the page (a function, as the dashboard's CSP forbids evaluating strings): the points of the loss figure's curves, i.e. the vertices of its line paths (M, then one L per further point), above n. */
const lossPointsAbove = (n: number): number | false => {
  const count = Array.from(document.querySelectorAll('[data-figure="loss"] g.mark-line.role-mark > path')).reduce((sum, p) => sum + ((p.getAttribute('d') ?? '').match(/[ML]/g) ?? []).length, 0);
  return count > n ? count : false;
};
const ARTIFACTS = resolve(process.env.MTL_TEST_ARTIFACTS ?? join(ROOT, 'test-artifacts', 'report'));

function experiment(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    seed: 0,
    data: {
      source: 'csv',
      path: join(ROOT, 'examples', 'data', 'patients.csv'),
      features: ['age', 'bmi', 'systolic_bp', 'glucose', 'cholesterol', 'smoker', 'exercise_hours', 'prior_visits'],
      standardize: true,
      testFraction: 0.25,
    },
    tasks: [
      { name: 'readmitted', kind: 'binary', columns: ['readmitted'] },
      { name: 'risk', kind: 'multiclass', classes: ['low', 'medium', 'high'], columns: ['risk_level'] },
      { name: 'stay', kind: 'regression', columns: ['length_of_stay'] },
    ],
    model: { architecture: 'mmoe', encoder: { type: 'mlp', hidden: [16] }, options: { experts: 3 } },
    weighting: { method: 'pcgrad' },
    training: { epochs: 4, batchSize: 64, diagnosticsEvery: 2, optimizer: { type: 'adam', learningRate: 0.003 } },
    ...overrides,
  };
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-child.pid, 'SIGKILL'); // the process group this test started
  } catch {
    child.kill('SIGKILL');
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

test('dashboard and report in headless Chromium: a curve gains points while a run trains; every report figure drawn; traversal gets 404', { timeout: 600_000 }, async (t) => {
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    const missing = 'no Chromium found (set MTL_CHROMIUM, or install chromium: apt-get install chromium)';
    if (process.env.CI === 'true') assert.fail(`${missing}; CI=true, where the browser test must run`);
    t.skip(`${missing}: browser test skipped`);
    return;
  }
  const work = join(tmpdir(), `mtl-browser-report-${process.pid}-${Date.now()}`);
  const runs = join(work, 'runs');
  const outside = join(work, 'outside');
  mkdirSync(runs, { recursive: true });
  mkdirSync(outside);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'secret outside the runs folder');
  symlinkSync(outside, join(runs, 'escape'));
  let training: ChildProcess | undefined;
  let dashboard: Dashboard | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    // 1. A long run trains in a child process, exactly as a user starts one.
    const liveYaml = join(work, 'live.yaml');
    writeFileSync(liveYaml, stringify(experiment('live', { training: { epochs: 2000, batchSize: 32, diagnosticsEvery: 5, optimizer: { type: 'adam', learningRate: 0.003 } } })));
    let trainingLog = '';
    training = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'train', liveYaml, '--run-dir', join(runs, 'live'), '--no-progress'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const s of [training.stdout!, training.stderr!]) s.on('data', (c: Buffer) => (trainingLog = (trainingLog + c.toString('utf8')).slice(-4000)));

    dashboard = await startDashboard({ runsDir: runs, port: 0, pollMs: 200 });
    browser = await launchChromium(chromiumPath);
    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    // 2. The dashboard follows the live run: the loss curve gains points without a reload.
    await page.goto(`${dashboard.url}#run=live`);
    await page.evaluate(() => ((window as unknown as { pageMarker: number }).pageMarker = 42));
    const waitForPoints = async (above: number) => (await page.waitForFunction(lossPointsAbove, above, { timeout: 180_000, polling: 100 })).jsonValue() as Promise<number>;
    const first = await waitForPoints(0).catch((error: Error) => {
      throw new Error(`the dashboard never showed the loss curve (${error.message.split('\n')[0]}); training output:\n${trainingLog}`);
    });
    assert.ok(!existsSync(join(runs, 'live', 'summary.json')), 'the run is still training when the first points show');
    const later = await waitForPoints(first);
    assert.ok(later > first, `the loss curve gained points: ${first} → ${later}`);
    assert.ok(!existsSync(join(runs, 'live', 'summary.json')), 'still training: the update came during the run');
    assert.equal(await page.evaluate(() => (window as unknown as { pageMarker?: number }).pageMarker), 42, 'no reload');
    assert.ok(Number(await page.evaluate(() => document.body.dataset.updates)) >= 2, 'updated by the server-sent events');
    assert.match((await page.evaluate(() => document.getElementById('run-list')!.textContent)) ?? '', /live/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png') });
    await stopProcess(training); // the live run is now a stopped, half-written run folder
    assert.deepEqual(consoleErrors, [], 'no console errors on the dashboard');

    // 3. Path traversal through the browser and raw: 404, never the file.
    for (const path of ['files/%2e%2e/outside/secret.txt', 'files/escape/secret.txt', 'files/..%2Foutside%2Fsecret.txt', 'api/run/%2e%2e', 'files/%2Fetc%2Fpasswd']) {
      const response = await page.goto(`${dashboard.url}${path}`);
      assert.equal(response?.status(), 404, path);
      assert.ok(!(await page.content()).includes('secret outside'), path);
    }
    const fetched = await page.evaluate(async () => {
      const paths = ['/files/%2e%2e/%2e%2e/etc/passwd', '/files/escape/secret.txt', '/files/live/config.json'];
      return Promise.all(paths.map(async (p) => (await fetch(p)).status));
    });
    assert.deepEqual(fetched, [404, 404, 200]);

    // 4. Finished runs to compare: two seeds of MMoE with baselines, cross-stitch, and a folder with policy, affinity and groups.
    const quiet = { progress: false, log: () => {} };
    for (const seed of [0, 1]) {
      await runExperiment(validateExperiment(experiment(`mmoe-s${seed}`, { seed, baselines: true })), { runDir: join(runs, `mmoe-s${seed}`), ...quiet });
    }
    await runExperiment(validateExperiment(experiment('cross-stitch-s0', { model: { architecture: 'cross-stitch', encoder: { type: 'mlp', hidden: [8, 8] } } })), { runDir: join(runs, 'cross-stitch-s0'), ...quiet });
    writeRun(join(runs, 'grouping'), {
      files: {
        'summary.json': { name: 'grouping' },
        'policy.json': { policy: { readmitted: [true, false, true], risk: [true, true, false], stay: [false, true, true] }, executeProbabilities: { readmitted: [0.9, 0.3, 0.8], risk: [0.7, 0.6, 0.2], stay: [0.4, 0.9, 0.7] } },
        'affinity.json': { tasks: ['readmitted', 'risk', 'stay'], matrix: [[0, 0.02, -0.01], [0.03, 0, 0.01], [-0.02, 0.0, 0]] },
        'grouping.json': { networks: [{ id: 'readmitted+risk', tasks: ['readmitted', 'risk'], serves: ['readmitted', 'risk'], cost: 1 }, { id: 'stay', tasks: ['stay'], cost: 1 }], budget: 2, cost: 2 },
      },
    });
    const reportPath = join(work, 'report.html');
    const svgDir = join(work, 'svg');
    const written = await writeReport([runs], { out: reportPath, svgDir });
    const svgFiles = readdirSync(svgDir).filter((f) => f.endsWith('.svg'));
    assert.ok(written.runs >= 5);
    for (const id of ['pareto', 'compare-delta-m', 'live--loss', 'mmoe-s0--gate-usage', 'cross-stitch-s0--cross-stitch', 'mmoe-s0--gradient-cosines', 'grouping--adashare-policy', 'grouping--affinity', 'grouping--task-groups']) {
      assert.ok(svgFiles.includes(`${id}.svg`), `figure ${id} (have: ${svgFiles.join(', ')})`);
    }

    // 5. The report opens from disk: every figure drawn, no console error, no network.
    const reportPage = await browser.context.newPage();
    const reportErrors: string[] = [];
    const requests: string[] = [];
    reportPage.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') reportErrors.push(m.text());
    });
    reportPage.on('pageerror', (e) => reportErrors.push(e.message));
    reportPage.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await reportPage.goto(`file://${reportPath}`);
    const figures = await reportPage.evaluate(() =>
      Array.from(document.querySelectorAll('figure.figure')).map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const marks = svg ? svg.querySelectorAll('g.role-mark > path, g.role-mark > text, g.role-mark > rect, g.role-mark > line').length : 0;
        return { id: f.getAttribute('data-figure'), width: box?.width ?? 0, height: box?.height ?? 0, marks };
      }),
    );
    assert.equal(figures.length, svgFiles.length, 'the page shows every figure');
    for (const f of figures) {
      assert.ok(f.marks > 0, `${f.id}: an SVG with marks`);
      assert.ok(f.width > 50 && f.height > 30, `${f.id}: drawn with a size (${f.width}×${f.height})`);
    }
    assert.match((await reportPage.textContent('body'))!, /Missing or unreadable[\s\S]*no summary\.json: the run is still training or was stopped/);
    assert.deepEqual(reportErrors, [], 'no console errors or warnings on the report');
    assert.deepEqual(requests, [], 'the report loads nothing from the network');
    await reportPage.screenshot({ path: join(ARTIFACTS, 'report-top.png') });
    await reportPage.screenshot({ path: join(ARTIFACTS, 'report-full.png'), fullPage: true });
  } finally {
    await stopProcess(training);
    await browser?.close();
    await dashboard?.close();
    rmSync(work, { recursive: true, force: true });
  }
});
