import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import type { AdaShareModel } from '../../src/architectures/adashare.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { ARCHITECTURES, buildArchitecture } from '../../src/architectures/registry.js';
import { saveModel } from '../../src/io/modelFiles.js';
import { createTask } from '../../src/tasks/createTask.js';
import { installSeededRandom, uninstallSeededRandom } from '../../src/training/seededRandom.js';

/**
 * Every architecture's saved model (saveModel → model.json + weights.bin) loads in a
 * real browser (headless Chromium) through the `mtl-ts/browser` entry, bundled for the
 * browser with esbuild, and predicts every task as in Node.
 *
 * Chromium: $MTL_CHROMIUM, else `chromium`, `chromium-browser` or `google-chrome` on
 * PATH. Without one the test skips, except under CI=true, where it fails.
 */

const ROOT = process.cwd();
const TOLERANCE = 1e-4;
const RESULT_TIMEOUT_MS = 60_000;
const INPUT_SHAPE = [5];
const BATCH = 4;
const INPUT = Array.from({ length: BATCH * INPUT_SHAPE[0]! }, (_, k) => Math.sin(1.7 * k + 0.3) * 2);

function findChromium(): string | null {
  const fromEnv = process.env.MTL_CHROMIUM;
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!dir) continue;
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  return null;
}

interface SavedCase {
  name: string;
  /** What the page must report as the task names, in output order. */
  tasks: string[];
  /** Node's predictions, by task. */
  outputs: Record<string, number[]>;
}

interface PageReport {
  ok: boolean;
  error?: string;
  results?: Record<string, { tasks: string[]; metadata: Record<string, unknown>; backend: string; shapes: Record<string, number[]>; outputs: Record<string, number[]> }>;
}

/**
 * Dispose a model and every variable it declares: `model.dispose()` alone leaves the
 * weights of a sub-model applied more than once in the graph (MTAN's shared attention
 * projections) registered.
 */
function disposeModel(m: MultiTaskModel): void {
  m.model.dispose();
  for (const v of [...m.sharedVariables, ...Object.values(m.taskVariables).flat()]) if (!v.isDisposed) v.dispose();
}

/** Build, save and predict every architecture in Node; returns what the browser must reproduce. */
async function saveModels(modelsDir: string): Promise<SavedCase[]> {
  const tasks = [
    createTask({ name: 'left', kind: 'multiclass', classes: 3, head: { hidden: [4] } }),
    createTask({ name: 'right', kind: 'regression', outputs: 2 }),
  ];
  const taskNames = tasks.map((t) => t.name);
  const cases: SavedCase[] = [];
  const baseline = tf.memory().numTensors;
  const x = tf.tensor(INPUT, [BATCH, ...INPUT_SHAPE]);
  for (const [k, name] of ARCHITECTURES.entries()) {
    installSeededRandom(100 + k);
    const m = buildArchitecture(name, { tasks, inputShape: INPUT_SHAPE, encoder: { type: 'mlp', hidden: [8, 8, 8] } });
    try {
      if (name === 'adashare') {
        // The inference network AdaShare saves is the one its fixed policy selects.
        (m as AdaShareModel).finalize({ left: [true, false, true], right: [true, true, false] }, { fromScratch: false });
      }
      // hard-sharing is saved without the task list, so the page must name outputs from the model's output names.
      const metadata = name === 'hard-sharing' ? { architecture: name } : { tasks: taskNames, architecture: name };
      await saveModel(m.model, join(modelsDir, name), metadata);
      const values = tf.tidy(() => [m.model.predict(x)].flat().map((t) => Array.from((t as tf.Tensor).dataSync())));
      assert.equal(values.length, tasks.length, `${name}: one output per task`);
      const outputs: Record<string, number[]> = {};
      tasks.forEach((t, i) => {
        assert.equal(values[i]!.length, BATCH * t.outputSize, `${name}: ${t.name} output size`);
        outputs[t.name] = values[i]!;
      });
      cases.push({ name, tasks: taskNames, outputs });
    } finally {
      if (name === 'adashare') (m as AdaShareModel).dispose();
      else disposeModel(m);
    }
  }
  x.dispose();
  uninstallSeededRandom();
  assert.equal(tf.memory().numTensors, baseline, 'no tensor leaked in Node');
  return cases;
}

/** The page: load every model with the bundle, predict on the same input, POST the results (or the error). */
const PAGE_SCRIPT = `
(function () {
  var reported = false;
  function post(body) {
    if (reported) return Promise.resolve();
    reported = true;
    return fetch('/result', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
  function fail(e) { return post({ ok: false, error: String((e && (e.stack || e.message)) || e) }); }
  window.addEventListener('error', function (event) { fail(event.error || event.message); });
  window.addEventListener('unhandledrejection', function (event) { fail(event.reason); });
  (async function () {
    if (!window.mtl) throw new Error('the mtl-ts browser bundle did not load');
    var tf = window.mtl.tf;
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend unavailable');
    await tf.ready();
    var cases = await (await fetch('/cases.json')).json();
    var results = {};
    for (var i = 0; i < cases.names.length; i++) {
      var name = cases.names[i];
      var loaded = await window.mtl.loadMultiTaskModel('/models/' + name + '/model.json');
      var x = tf.tensor(cases.input, cases.shape);
      var out = loaded.predict(x);
      var outputs = {}, shapes = {};
      for (var task of Object.keys(out)) {
        outputs[task] = Array.from(await out[task].data());
        shapes[task] = out[task].shape;
      }
      results[name] = { tasks: loaded.tasks, metadata: loaded.metadata, backend: tf.getBackend(), shapes: shapes, outputs: outputs };
      tf.dispose([x].concat(Object.values(out)));
      loaded.model.dispose();
    }
    await post({ ok: true, results: results });
  })().catch(fail);
})();
`;

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>mtl-ts browser load test</title></head>
<body><script src="/mtl.js"></script><script src="/page.js"></script></body></html>
`;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Serve the page, the bundle and the saved models; resolve `report` with the page's first POST. */
function startServer(files: Map<string, { type: string; body: string | Buffer }>): { server: Server; report: Promise<PageReport>; listening: Promise<number> } {
  let deliver!: (r: PageReport) => void;
  const report = new Promise<PageReport>((resolve) => {
    deliver = resolve;
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/result') {
      readBody(req).then(
        (text) => {
          res.writeHead(204).end();
          try {
            deliver(JSON.parse(text) as PageReport);
          } catch (e) {
            deliver({ ok: false, error: `unreadable report (${String(e)}): ${text.slice(0, 200)}` });
          }
        },
        (e) => deliver({ ok: false, error: `report upload failed: ${String(e)}` }),
      );
      return;
    }
    const file = req.method === 'GET' ? files.get(url.pathname) : undefined;
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  const listening = new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return { server, report, listening };
}

/** Launch headless Chromium on `url`, in its own process group so that it and its children can be ended together. */
function launchChromium(bin: string, profileDir: string, url: string): { child: ChildProcess; exited: Promise<string> } {
  const child = spawn(
    bin,
    [
      '--headless=new', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profileDir}`,
      '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-dev-shm-usage', url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(`could not start ${bin}: ${e.message}`));
    child.once('exit', (code, signal) => resolve(`${bin} exited (code ${code}, signal ${signal}); stderr tail:\n${stderr}`));
  });
  return { child, exited };
}

async function stopChromium(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL'); // the process group this test started
  } catch {
    child.kill('SIGKILL');
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

test('saved models of every architecture load and predict in headless Chromium as in Node', { timeout: 240_000 }, async (t) => {
  const chromium = findChromium();
  if (!chromium) {
    const missing = 'no Chromium found (set MTL_CHROMIUM, or put chromium, chromium-browser or google-chrome on PATH)';
    if (process.env.CI === 'true') assert.fail(`${missing}; CI=true, where the browser load test must run: install chromium`);
    t.skip(`${missing}: browser load test skipped`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'mtl-browser-'));
  const modelsDir = join(work, 'models');
  const profileDir = join(work, 'profile');
  mkdirSync(modelsDir);
  mkdirSync(profileDir);
  let server: Server | undefined;
  let browser: { child: ChildProcess; exited: Promise<string> } | undefined;
  try {
    const cases = await saveModels(modelsDir);

    const bundle = await build({
      entryPoints: [join(ROOT, 'src', 'browser.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'mtl',
      platform: 'browser',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
    });
    assert.equal(bundle.outputFiles.length, 1);

    const files = new Map<string, { type: string; body: string | Buffer }>([
      ['/', { type: 'text/html; charset=utf-8', body: PAGE_HTML }],
      ['/mtl.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(bundle.outputFiles[0]!.contents) }],
      ['/page.js', { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT }],
      ['/cases.json', { type: 'application/json', body: JSON.stringify({ names: cases.map((c) => c.name), input: INPUT, shape: [BATCH, ...INPUT_SHAPE] }) }],
    ]);
    for (const c of cases) {
      files.set(`/models/${c.name}/model.json`, { type: 'application/json', body: readFileSync(join(modelsDir, c.name, 'model.json')) });
      files.set(`/models/${c.name}/weights.bin`, { type: 'application/octet-stream', body: readFileSync(join(modelsDir, c.name, 'weights.bin')) });
    }

    const served = startServer(files);
    server = served.server;
    const port = await served.listening;
    browser = launchChromium(chromium, profileDir, `http://127.0.0.1:${port}/`);
    let timer: NodeJS.Timeout | undefined;
    const report = await Promise.race([
      served.report,
      browser.exited.then((why): PageReport => ({ ok: false, error: `the browser ended before the page reported: ${why}` })),
      new Promise<PageReport>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, error: `no report from the page within ${RESULT_TIMEOUT_MS / 1000} s` }), RESULT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);

    assert.equal(report.error, undefined, `the page reported an error: ${report.error}`);
    assert.equal(report.ok, true);
    const results = report.results!;
    assert.deepEqual(Object.keys(results).sort(), cases.map((c) => c.name).sort(), 'the page loaded every model');
    for (const c of cases) {
      const r = results[c.name]!;
      assert.equal(r.backend, 'cpu', `${c.name}: predicted on the browser's cpu backend`);
      assert.deepEqual(r.tasks, c.tasks, `${c.name}: outputs named by task`);
      assert.equal(r.metadata.architecture, c.name, `${c.name}: metadata read in the browser`);
      for (const task of c.tasks) {
        const expected = c.outputs[task]!;
        const got = r.outputs[task];
        assert.ok(got, `${c.name}: the browser predicted task ${task}`);
        assert.deepEqual(r.shapes[task], [BATCH, expected.length / BATCH], `${c.name}/${task}: output shape`);
        assert.equal(got.length, expected.length, `${c.name}/${task}: output length`);
        got.forEach((v, i) => {
          assert.ok(Math.abs(v - expected[i]!) <= TOLERANCE, `${c.name}/${task}[${i}]: browser ${v} vs Node ${expected[i]}`);
        });
      }
    }
  } finally {
    if (browser) await stopChromium(browser.child, browser.exited);
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    rmSync(work, { recursive: true, force: true });
  }
});
