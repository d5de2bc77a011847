import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from '../../scripts/headlessChromium.js';
import { bundleExample, EXAMPLE_DIR } from '../../scripts/browserExample.js';
import type { DemoReport } from '../../examples/browser/train.js';

/**
 * The browser example (examples/browser/) trains in headless Chromium (Debian's, driven
 * by playwright-core; no browser download): the page, bundled from its TypeScript with
 * the package's browser entry, trains a three-task MMoE model on WebGL (SwiftShader here,
 * a GPU on a user's machine) and every task's training loss falls; forced onto the CPU
 * backend it trains too; with its run kept in IndexedDB it pauses after an epoch and a
 * reload resumes it where it stopped. Without Chromium the test skips (under CI=true,
 * where .ci/run installs it, it fails instead).
 */

// WebGL without a GPU: ANGLE on SwiftShader (Chromium refuses the software fallback unless asked).
const ARGS = ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'];
const PAGE_TIMEOUT_MS = 240_000;

function chromiumOrSkip(t: TestContext): string | null {
  const path = findChromium();
  if (path) return path;
  const why = 'no Chromium found (set MTL_CHROMIUM, or install chromium: apt-get install chromium)';
  if (process.env.CI === 'true') assert.fail(`${why}; CI=true, where the browser training test must run`);
  t.skip(`${why}: the browser training test is skipped`);
  return null;
}

async function serveExample(): Promise<{ server: Server; url: string }> {
  const files = new Map<string, { type: string; body: string | Uint8Array }>([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(join(EXAMPLE_DIR, 'index.html'), 'utf8') }],
    ['/dist/train.js', { type: 'text/javascript; charset=utf-8', body: await bundleExample() }],
  ]);
  const server = createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (!file || req.method !== 'GET') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Open the page with `query` and wait for its report; page errors fail with the page's console. */
async function runDemo(page: Page, url: string, query: string): Promise<DemoReport> {
  const console: string[] = [];
  const onConsole = (m: { type(): string; text(): string }) => console.push(`${m.type()}: ${m.text()}`);
  page.on('console', onConsole);
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${url}?${query}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => (window as unknown as { mtlDemo?: unknown }).mtlDemo !== undefined, undefined, { timeout: PAGE_TIMEOUT_MS, polling: 200 });
    const report = (await page.evaluate(() => (window as unknown as { mtlDemo: unknown }).mtlDemo)) as DemoReport & { error?: string };
    assert.equal(report.error, undefined, `the page failed: ${report.error}\n${console.join('\n')}`);
    return report;
  } finally {
    page.off('console', onConsole);
  }
}

function assertLossesFall(report: DemoReport, what: string): void {
  assert.deepEqual(report.tasks, ['a1', 'a2', 'b1'], what);
  for (const task of report.tasks) {
    const losses = report.trainLoss[task]!;
    assert.ok(losses.every(Number.isFinite), `${what}: ${task} losses are finite: ${losses}`);
    // Linear targets of variance 1 + noise 0.25: the first epoch starts near 1.25 and training must cut it well down.
    assert.ok(losses[losses.length - 1]! < 0.7 * losses[0]!, `${what}: ${task}'s training loss falls: ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    assert.ok(report.testMse[task]! < losses[0]!, `${what}: ${task}'s test MSE ${report.testMse[task]} is below its first-epoch loss ${losses[0]}`);
  }
}

test('the browser example trains a three-task model in Chromium on WebGL (and on the CPU backend), each task\'s loss falling', { timeout: 600_000 }, async (t) => {
  const executablePath = chromiumOrSkip(t);
  if (!executablePath) return;
  const { server, url } = await serveExample();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: ARGS, timeout: 120_000 });
    const page = await (await browser.newContext()).newPage();

    const webgl = await runDemo(page, url, 'epochs=6');
    t.diagnostic(`default backend: ${webgl.backend} (WebGL available: ${webgl.webglAvailable}), ${webgl.steps} steps in ${webgl.seconds.toFixed(1)} s (a shared, loaded machine)`);
    // The page picks WebGL wherever the browser offers it, the CPU backend otherwise.
    assert.equal(webgl.backend, webgl.webglAvailable ? 'webgl' : 'cpu');
    assert.equal(webgl.webglAvailable, true, 'this Chromium runs WebGL on SwiftShader: the test must exercise the WebGL backend');
    assert.deepEqual(webgl.epochs, [0, 1, 2, 3, 4, 5]);
    assert.equal(webgl.steps, 6 * 8); // 512 examples, batch 64
    assertLossesFall(webgl, 'webgl');
    // The page shows a row per epoch.
    assert.equal(await page.locator('#losses tbody tr').count(), 6);
    assert.match((await page.locator('#status').textContent()) ?? '', /^done on webgl: 6 epochs, 48 steps/);

    const cpu = await runDemo(page, url, 'epochs=6&backend=cpu&method=pcgrad');
    assert.equal(cpu.backend, 'cpu');
    assertLossesFall(cpu, 'cpu with PCGrad');
  } finally {
    await browser?.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('in Chromium a run kept in IndexedDB pauses after an epoch and resumes after a reload where it stopped', { timeout: 600_000 }, async (t) => {
  const executablePath = chromiumOrSkip(t);
  if (!executablePath) return;
  const { server, url } = await serveExample();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: ARGS, timeout: 120_000 });
    const page = await (await browser.newContext()).newPage();
    const straight = await runDemo(page, url, 'epochs=4&backend=cpu');
    const paused = await runDemo(page, url, 'epochs=4&backend=cpu&store=indexeddb&stopAfterEpoch=2');
    assert.equal(paused.stopReason, 'signal');
    assert.equal(paused.interrupted, true);
    assert.deepEqual(paused.epochs, [0, 1]);
    // A reload: a fresh page, model and optimizer; the checkpoint and the log come from IndexedDB.
    const resumed = await runDemo(page, url, 'epochs=4&backend=cpu&store=indexeddb&resume=1');
    assert.equal(resumed.resumedFrom, 2);
    assert.deepEqual(resumed.epochs, [2, 3]);
    assert.equal(resumed.steps, straight.steps);
    // Exactly the uninterrupted run's numbers (the same backend, the same seeded stream).
    for (const task of straight.tasks) {
      assert.deepEqual([...paused.trainLoss[task]!, ...resumed.trainLoss[task]!], straight.trainLoss[task], task);
      assert.equal(resumed.testMse[task], straight.testMse[task], task);
    }
    // The best epoch's model, reloaded from IndexedDB with tfjs's loader, names its tasks and predicts as the restored model did.
    assert.deepEqual(resumed.best?.tasks, ['a1', 'a2', 'b1']);
    for (const task of straight.tasks) assert.ok(Math.abs(resumed.best!.testMse[task]! - resumed.testMse[task]!) < 1e-5, `${task}: ${resumed.best!.testMse[task]} vs ${resumed.testMse[task]}`);
  } finally {
    await browser?.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
