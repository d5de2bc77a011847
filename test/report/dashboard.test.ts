import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../src/cli/runCli.js';
import { startDashboard } from '../../src/report/dashboard/dashboardServer.js';
import { resolveInside } from '../../src/report/dashboard/safePath.js';
import { config, epochLines, snapshot, summary, tempDir, writeRun } from './helpers.js';

/** A raw GET (the path is sent exactly as given, without URL normalisation). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Read server-sent events of one type from a stream until `until` accepts one (or the time runs out). */
function events(port: number, path: string, type: string, until: (data: unknown, count: number) => boolean, timeoutMs = 60_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const seen: unknown[] = [];
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /text\/event-stream/);
      let buffer = '';
      res.on('data', (c: Buffer) => {
        buffer += c.toString('utf8');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== type || data === undefined) continue;
          seen.push(JSON.parse(data));
          if (until(seen.at(-1), seen.length)) {
            clearTimeout(timer);
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no matching "${type}" event within ${timeoutMs} ms (saw ${seen.length})`));
    }, timeoutMs);
    req.on('error', (e) => {
      if (!(e as NodeJS.ErrnoException).code?.startsWith('ECONNRESET')) reject(e);
    });
    req.end();
  });
}

test('resolveInside: only paths inside the root resolve', () => {
  const root = tempDir();
  const outside = tempDir('mtl-outside-');
  try {
    mkdirSync(join(root, 'run', 'sub'), { recursive: true });
    writeFileSync(join(root, 'run', 'a.json'), '{}');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, join(root, 'escape'));
    symlinkSync(join(root, 'run'), join(root, 'alias'));
    assert.equal(resolveInside(root, 'run/a.json'), join(root, 'run', 'a.json'));
    assert.equal(resolveInside(root, 'run%2Fa.json'), join(root, 'run', 'a.json'));
    assert.equal(resolveInside(root, 'alias/a.json'), join(root, 'run', 'a.json'), 'a link that stays inside is followed');
    for (const bad of ['../x', 'run/../../x', '%2e%2e/x', '%2E%2E%2Fx', 'run/%2e%2e/%2e%2e', '.', 'run/./a.json', '/etc/passwd', '%2Fetc%2Fpasswd', 'C:%5Cwindows', '..%5C..%5Cx', 'escape/secret.txt', 'run/a.json%00', '%E0%A4%A', 'missing.json']) {
      assert.equal(resolveInside(root, bad), undefined, bad);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('the dashboard lists runs, serves their figures, streams new epochs as they are written, and serves nothing outside its folder', { timeout: 180_000 }, async () => {
  const root = tempDir();
  const outside = tempDir('mtl-outside-');
  const runs = join(root, 'runs');
  const live = join(runs, 'live');
  writeRun(join(runs, 'done'), { config: config('equal', 0), lines: epochLines(3), summary: summary(0.8, 2.0, { a: 0.8, b: 2.1 }) });
  writeRun(live, { config: config('pcgrad', 1), lines: epochLines(1) });
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  symlinkSync(outside, join(runs, 'escape'));
  symlinkSync(join(outside, 'secret.txt'), join(runs, 'done', 'leak.txt'));
  writeFileSync(join(root, 'beside.txt'), 'beside the runs folder');
  const dashboard = await startDashboard({ runsDir: runs, port: 0, pollMs: 100 });
  try {
    const port = dashboard.port;
    assert.equal(dashboard.url, `http://127.0.0.1:${port}/`);
    const page = await get(port, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>mtl dashboard<\/title>/);
    assert.ok(!/src=["']?https?:/.test(page.body), 'no script from elsewhere');
    const list = JSON.parse((await get(port, '/api/runs')).body) as { path: string; status: string; epochs: number }[];
    assert.deepEqual(list.map((r) => [r.path, r.status, r.epochs]).sort(), [['done', 'finished', 3], ['live', 'incomplete', 1]]);
    const view = JSON.parse((await get(port, '/api/run/done')).body) as { figures: { id: string; html: string }[]; problemsHtml: string };
    assert.deepEqual(view.figures.map((f) => f.id), ['loss', 'metrics', 'delta-m', 'weights']);
    assert.equal((await get(port, '/files/done/config.json')).status, 200);

    const before = snapshot(root);
    for (const path of [
      '/files/../beside.txt',
      '/files/%2e%2e/beside.txt',
      '/files/%2E%2E%2Fbeside.txt',
      '/files/done/..%2F..%2Fbeside.txt',
      '/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/files//etc/passwd',
      '/files/%2Fetc%2Fpasswd',
      '/files/escape/secret.txt',
      '/files/done/leak.txt',
      '/files/done',
      '/files/done/%00',
      '/api/run/..',
      '/api/run/%2e%2e',
      '/api/run/escape',
      '/events/run/..%2Fruns%2Fdone',
      '/api/run/nothing-here',
      '/../beside.txt',
      '/etc/passwd',
    ]) {
      const res = await get(port, path);
      assert.equal(res.status, 404, `${path} → ${res.status}`);
      assert.ok(!res.body.includes('secret') && !res.body.includes('beside the runs'), path);
    }
    for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await get(port, '/files/done/config.json', method)).status, 405);

    // Live: an epoch appended to the run's metrics.jsonl reaches the page without a reload.
    const pointsOf = (v: unknown) => {
      const loss = (v as { figures: { id: string; html: string }[] }).figures.find((f) => f.id === 'loss');
      return loss ? (loss.html.match(/<path /g) ?? []).length : 0;
    };
    const counts: number[] = [];
    let appended = false;
    await events(port, '/events/run/live', 'run', (v, n) => {
      counts.push(pointsOf(v));
      if (n === 1 && !appended) {
        appended = true;
        const more = epochLines(3).slice(1);
        setTimeout(() => appendFileSync(join(live, 'metrics.jsonl'), more.map((l) => JSON.stringify(l) + '\n').join('')), 300);
      }
      return counts.at(-1)! > counts[0]!;
    });
    assert.ok(counts.at(-1)! > counts[0]!, `the loss curve gained points: ${counts.join(' → ')}`);
    // Everything but the file the test itself appended to is as it was; that one holds exactly what the test wrote.
    const others = (snap: string) => snap.split('\n').filter((l) => !l.includes(`${join('live', 'metrics.jsonl')}:`)).join('\n');
    assert.equal(others(snapshot(root)), others(before), 'the dashboard wrote nothing');
    assert.equal(readFileSync(join(live, 'metrics.jsonl'), 'utf8'), epochLines(3).map((l) => JSON.stringify(l) + '\n').join(''));
  } finally {
    await dashboard.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a missing folder, a file and a port in use are coded errors with a fix', async () => {
  const root = tempDir();
  const blocker = createServer();
  try {
    await assert.rejects(startDashboard({ runsDir: join(root, 'missing'), port: 0 }), (e: { code?: string; fix?: string }) => e.code === 'dashboard.missing_folder' && /mtl train/.test(e.fix ?? ''));
    writeFileSync(join(root, 'file'), 'x');
    await assert.rejects(startDashboard({ runsDir: join(root, 'file'), port: 0 }), (e: { code?: string }) => e.code === 'dashboard.not_a_folder');
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    await assert.rejects(startDashboard({ runsDir: root, port }), (e: { code?: string; fix?: string }) => e.code === 'dashboard.port_in_use' && e.fix!.includes(`--port ${port + 1}`));
    const stderr: string[] = [];
    const io = { out: () => {}, err: (t: string) => stderr.push(t) };
    assert.equal(await runCli(['dashboard', root, '--port', String(port)], io), 1);
    assert.match(stderr.join(''), /error \[dashboard\.port_in_use\] --port \d+\n  expected: a free port/);
    stderr.length = 0;
    assert.equal(await runCli(['dashboard', root, '--port', '70000'], io), 2);
    assert.match(stderr.join(''), /error \[cli\.bad_option\] --port/);
    stderr.length = 0;
    assert.equal(await runCli(['dashboard', join(root, 'nope')], io), 1);
    assert.match(stderr.join(''), /error \[dashboard\.missing_folder\]/);
  } finally {
    blocker.close();
    rmSync(root, { recursive: true, force: true });
  }
});
