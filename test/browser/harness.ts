import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import { build } from 'esbuild';

/**
 * Running a page in headless Chromium (Debian's `chromium`) against the `tfjs-multitask/browser`
 * entry bundled with esbuild: the page gets `/` (HTML loading `/mtl.js`, the bundle,
 * then `/page.js`), the files given, and reports by POSTing JSON to `/result`.
 *
 * Chromium: $MTL_CHROMIUM, else `chromium`, `chromium-browser` or `google-chrome` on
 * PATH. Without one a test skips, except under CI=true, where it fails.
 */

const RESULT_TIMEOUT_MS = 60_000;

/** A file the test server serves. */
export interface ServedFile {
  type: string;
  body: string | Buffer;
}

export function findChromium(): string | null {
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

/** The Chromium to use, or null after skipping the test (failing it under CI=true). */
export function chromiumOrSkip(t: TestContext, what: string): string | null {
  const chromium = findChromium();
  if (chromium) return chromium;
  const missing = 'no Chromium found (set MTL_CHROMIUM, or put chromium, chromium-browser or google-chrome on PATH)';
  if (process.env.CI === 'true') assert.fail(`${missing}; CI=true, where the ${what} must run: install chromium`);
  t.skip(`${missing}: ${what} skipped`);
  return null;
}

/** The browser entry (src/browser.ts) bundled for browsers as an IIFE exposing `window.mtl`. */
export async function bundleBrowserEntry(): Promise<Buffer> {
  const bundle = await build({
    entryPoints: [join(process.cwd(), 'src', 'browser.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'mtl',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  assert.equal(bundle.outputFiles.length, 1);
  return Buffer.from(bundle.outputFiles[0]!.contents);
}

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>tfjs-multitask browser test</title></head>
<body><script src="/mtl.js"></script><script src="/page.js"></script></body></html>
`;

/**
 * The page script around `body` (an async function body using `window.mtl`, returning
 * the report): errors and rejections are reported as `{ ok: false, error }`.
 */
export function pageScript(body: string): string {
  return `
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
    if (!window.mtl) throw new Error('the tfjs-multitask browser bundle did not load');
    ${body}
  })().then(function (report) { return post(Object.assign({ ok: true }, report)); }).catch(fail);
})();
`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Serve the files; resolve `report` with the page's first POST to /result. */
function startServer<R>(files: Map<string, ServedFile>): { server: Server; report: Promise<R>; listening: Promise<number> } {
  let deliver!: (r: R) => void;
  const report = new Promise<R>((resolve) => {
    deliver = resolve;
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/result') {
      readBody(req).then(
        (text) => {
          res.writeHead(204).end();
          try {
            deliver(JSON.parse(text) as R);
          } catch (e) {
            deliver({ ok: false, error: `unreadable report (${String(e)}): ${text.slice(0, 200)}` } as R);
          }
        },
        (e) => deliver({ ok: false, error: `report upload failed: ${String(e)}` } as R),
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

/**
 * Open the page (the bundle, then `script`) in headless Chromium with `files` served,
 * and return what it POSTs to /result (or `{ ok: false, error }` when the browser ends
 * or nothing comes within a minute). The browser and the server are stopped after.
 */
export async function runPage<R extends { ok: boolean; error?: string }>(chromium: string, script: string, files: Map<string, ServedFile>): Promise<R> {
  const work = mkdtempSync(join(tmpdir(), 'mtl-browser-'));
  const profileDir = join(work, 'profile');
  mkdirSync(profileDir);
  let server: Server | undefined;
  let browser: { child: ChildProcess; exited: Promise<string> } | undefined;
  try {
    const all = new Map<string, ServedFile>([
      ['/', { type: 'text/html; charset=utf-8', body: PAGE_HTML }],
      ['/mtl.js', { type: 'text/javascript; charset=utf-8', body: await bundleBrowserEntry() }],
      ['/page.js', { type: 'text/javascript; charset=utf-8', body: script }],
      ...files,
    ]);
    const served = startServer<R>(all);
    server = served.server;
    const port = await served.listening;
    browser = launchChromium(chromium, profileDir, `http://127.0.0.1:${port}/`);
    let timer: NodeJS.Timeout | undefined;
    const report = await Promise.race([
      served.report,
      browser.exited.then((why) => ({ ok: false, error: `the browser ended before the page reported: ${why}` }) as R),
      new Promise<R>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, error: `no report from the page within ${RESULT_TIMEOUT_MS / 1000} s` } as R), RESULT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    return report;
  } finally {
    if (browser) await stopChromium(browser.child, browser.exited);
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    rmSync(work, { recursive: true, force: true });
  }
}
