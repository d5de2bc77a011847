import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { alive, waitFor } from './sweepHelpers.js';

/** A process that starts two busy children (one with the watchdog, one without), prints their ids, and waits. */
const parentScript = (watched: string, control: string) => `
const { spawn } = require('node:child_process');
const start = (code) => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const watched = start(${JSON.stringify(watched)});
const control = start(${JSON.stringify(control)});
let ready = 0;
for (const c of [watched, control]) c.on('message', () => { if (++ready === 2) console.log(JSON.stringify({ watched: watched.pid, control: control.pid })); });
setInterval(() => {}, 1000);
`;

/** Blocks its main thread (as a trial does for a whole epoch) after telling its parent it runs. */
const busy = (withWatchdog: boolean) => `
${withWatchdog ? "import { exitWithParent } from './src/trials/parentWatchdog.ts'; exitWithParent();" : ''}
process.send('ready');
const end = Date.now() + 60000;
while (Date.now() < end) {}
`;

test('a trial process whose main thread is busy ends within a second of its parent\'s SIGKILL; without the watchdog it would train on', { timeout: 120_000 }, async () => {
  const parent = spawn(process.execPath, ['-e', parentScript(busy(true), busy(false))], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const pids = await waitFor('the children to start', () => (out.includes('}') ? (JSON.parse(out) as { watched: number; control: number }) : undefined), 60_000);
  try {
    parent.kill('SIGKILL');
    await waitFor('the watched child to exit', () => !alive(pids.watched), 20_000);
    assert.ok(alive(pids.control), 'the child without the watchdog is still running: the test would notice a missing watchdog');
  } finally {
    for (const pid of [pids.watched, pids.control]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
