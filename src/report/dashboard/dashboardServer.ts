import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve } from 'node:path';
import { MtlError } from '../../errors.js';
import { isRunFolder } from '../runFolder.js';
import { dashboardPage } from './dashboardPage.js';
import { RunList, runSignature, runView, type RunView } from './runWatch.js';
import { resolveInside } from './safePath.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The folder whose runs are shown (and the only one anything is served from). */
  runsDir: string;
  /** TCP port; 0 picks a free one. @defaultValue 6060 */
  port?: number;
  /** Interface to listen on. @defaultValue '127.0.0.1' (this machine only) */
  host?: string;
  /** How often run folders are checked for changes, in ms. @defaultValue 500 */
  pollMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** e.g. `http://127.0.0.1:6060/`. */
  url: string;
  port: number;
  /** Stop serving: ends the live streams and closes the port. */
  close(): Promise<void>;
}

/** Default port of `mtl dashboard`. */
export const DEFAULT_DASHBOARD_PORT = 6060;

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/plain; charset=utf-8', // never rendered as a page from a run folder
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('not found\n');
}

/** A live stream of one run folder (or of the runs list) to any number of pages. */
class Channel<T> {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private signature = '';
  private busy = false;
  private quietUntil = 0;
  private last: string | undefined;

  constructor(
    private readonly signatureOf: () => string,
    private readonly load: () => Promise<T>,
    private readonly pollMs: number,
    private readonly event: string,
  ) {}

  add(res: ServerResponse): void {
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    if (this.last !== undefined) res.write(this.last);
    if (!this.timer) {
      this.signature = '';
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      void this.poll();
    }
  }

  private async poll(): Promise<void> {
    // At most one load at a time, and a pause after each as long as it took (a run that
    // logs faster than its figures render is shown at the speed they render).
    if (this.busy || Date.now() < this.quietUntil) return;
    const signature = this.signatureOf();
    if (signature === this.signature) return;
    this.busy = true;
    const started = Date.now();
    try {
      const payload = await this.load();
      this.signature = signature;
      this.last = `event: ${this.event}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const c of this.clients) c.write(this.last);
    } catch (error) {
      const message = `event: problem\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`;
      for (const c of this.clients) c.write(message);
      this.signature = signature;
    } finally {
      this.busy = false;
      this.quietUntil = Date.now() + (Date.now() - started);
    }
  }

  ping(): void {
    for (const c of this.clients) c.write(': keep-alive\n\n');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  end(): void {
    this.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

function checkRunsDir(runsDir: string): string {
  if (!existsSync(runsDir)) {
    throw new MtlError({
      code: 'dashboard.missing_folder',
      path: runsDir,
      expected: 'a folder of run folders (runs/ by default: mtl train writes runs/<experiment name>)',
      found: 'no such folder',
      fix: 'train a run first (mtl train <experiment>), or give the folder: mtl dashboard <runs folder>',
    });
  }
  if (!statSync(runsDir).isDirectory()) {
    throw new MtlError({ code: 'dashboard.not_a_folder', path: runsDir, expected: 'a folder of run folders', found: 'a file', fix: `give the folder that holds it: mtl dashboard ${resolve(runsDir, '..')}` });
  }
  return realpathSync(runsDir);
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new MtlError({
      code: 'dashboard.port_in_use',
      path: `--port ${port}`,
      expected: 'a free port',
      found: `port ${port} on ${host} is in use (another dashboard, or another program)`,
      fix: `choose another port: mtl dashboard --port ${port + 1} (or --port 0 for any free port)`,
    });
  }
  if (error.code === 'EACCES') {
    return new MtlError({ code: 'dashboard.port_denied', path: `--port ${port}`, expected: 'a port this user may open', found: 'permission denied (ports below 1024 need privileges)', fix: `use a port from 1024 up, e.g. --port ${DEFAULT_DASHBOARD_PORT}` });
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
    return new MtlError({ code: 'dashboard.bad_host', path: `--host ${host}`, expected: 'an address of this machine', found: `"${host}" (${error.code})`, fix: 'leave --host out for 127.0.0.1 (this machine only)' });
  }
  return error;
}

/**
 * Serve a live dashboard of the runs below `runsDir`: a page that lists them and shows
 * a selected run's figures (the report's, rendered to SVG on the server), updated
 * without a reload through server-sent events whenever the run's files change.
 *
 * Read-only and confined: it never writes, and it serves only the page, its streams and
 * files inside `runsDir` (`/files/<path>`); `..` (also percent-encoded), absolute paths,
 * and symbolic links leading outside answer 404. A missing folder, a port in use or a
 * bad host is a coded error.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const root = checkRunsDir(options.runsDir);
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? DEFAULT_DASHBOARD_PORT;
  const pollMs = options.pollMs ?? 500;
  const runList = new RunList(root);
  const listChannel = new Channel(() => JSON.stringify(runList.list()), async () => runList.list(), pollMs, 'runs');
  const runChannels = new Map<string, Channel<RunView>>();
  const streams = new Set<ServerResponse>();

  const sse = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', ...SECURITY_HEADERS });
    res.write('retry: 1000\n\n');
    streams.add(res);
    res.on('close', () => streams.delete(res));
  };

  const runFolderOf = (rel: string): string | undefined => {
    const dir = resolveInside(root, rel);
    return dir && statSync(dir).isDirectory() && isRunFolder(dir) ? dir : undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('read-only: GET and HEAD only\n');
      return;
    }
    // The raw path, not a URL-normalised one: traversal attempts must reach resolveInside as sent.
    const raw = (req.url ?? '/').split('?')[0]!.split('#')[0]!;
    if (raw === '/' || raw === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'", ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : dashboardPage(root));
      return;
    }
    if (raw === '/api/runs') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS }).end(JSON.stringify(runList.list()));
      return;
    }
    if (raw === '/events/runs') {
      sse(res);
      listChannel.add(res);
      return;
    }
    for (const [prefix, kind] of [['/api/run/', 'api'], ['/events/run/', 'events'], ['/files/', 'files']] as const) {
      if (!raw.startsWith(prefix)) continue;
      const rel = raw.slice(prefix.length);
      if (kind === 'files') {
        const path = resolveInside(root, rel);
        if (!path || !statSync(path).isFile()) return notFound(res);
        res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream', 'content-length': statSync(path).size, 'content-security-policy': "default-src 'none'; sandbox", ...SECURITY_HEADERS });
        if (req.method === 'HEAD') res.end();
        else createReadStream(path).pipe(res);
        return;
      }
      const dir = runFolderOf(rel);
      if (!dir) return notFound(res);
      if (kind === 'api') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS }).end(JSON.stringify(await runView(root, dir)));
        return;
      }
      let channel = runChannels.get(dir);
      if (!channel) {
        channel = new Channel(() => runSignature(dir), () => runView(root, dir), pollMs, 'run');
        runChannels.set(dir, channel);
      }
      sse(res);
      channel.add(res);
      return;
    }
    notFound(res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(`error: ${(error as Error).message}\n`);
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, host, requestedPort)));
    server.listen(requestedPort, host, () => resolvePromise());
  });
  const keepAlive = setInterval(() => {
    listChannel.ping();
    for (const c of runChannels.values()) c.ping();
  }, 15_000);
  keepAlive.unref();
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolvePromise) => {
        clearInterval(keepAlive);
        listChannel.end();
        for (const c of runChannels.values()) c.end();
        for (const s of streams) s.end();
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
