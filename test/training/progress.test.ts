import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProgress, ProgressBar, type ProgressUpdate } from '../../src/training/progress.js';

function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (chunk: string) => (writes.push(chunk), true) } as unknown as NodeJS.WriteStream };
}

const update = (batch: number, weights: Record<string, number> = { a: 1.5, b: 0.5 }): ProgressUpdate => ({
  epoch: 0, epochs: 2, batch, batches: 100, batchSize: 32, losses: { a: 0.41234, b: 12.3456 }, weights,
});

test('off a terminal: a plain line at most every plainEvery seconds, with loss, weights, throughput and ETA', () => {
  const { writes, stream } = fakeStream(false);
  let now = 0;
  const bar = new ProgressBar(stream, { plainEvery: 30, now: () => now });
  bar.startEpoch();
  for (let batch = 1; batch <= 62; batch++) {
    now = batch * 1000; // one step a second
    bar.update(update(batch));
  }
  bar.clear();
  assert.equal(writes.length, 2, writes.join(''));
  // At step 30 (t = 30 s): 1 step/s, 70 batches left in the epoch, 70 + 100 in the run.
  assert.equal(writes[0], 'epoch 1/2 batch 30/100  ETA 1m10s epoch, 2m50s run  1.0 steps/s (32 ex/s)  loss a 0.4123 b 12.346  w a 1.50 b 0.50\n');
  assert.match(writes[1]!, /^epoch 1\/2 batch 60\/100  ETA 40s epoch, 2m20s run  1\.0 steps\/s/);
  for (const w of writes) assert.ok(!/[\r\x1b]/.test(w), 'no control characters in plain lines');
});

test('on a terminal: one redrawn line, cut to the width, redrawn at most ten times a second; disabled prints nothing', () => {
  const { writes, stream } = fakeStream(true, 60);
  let now = 0;
  const bar = new ProgressBar(stream, { now: () => now });
  bar.startEpoch();
  now = 1000;
  bar.update(update(1));
  now = 1050;
  bar.update(update(2)); // within 100 ms of the last draw: skipped
  now = 1200;
  bar.update(update(3, { a: 1, b: 1 }));
  assert.equal(writes.length, 2);
  for (const w of writes) {
    assert.ok(w.startsWith('\r') && w.endsWith('\x1b[K'));
    assert.match(w, /ETA/, 'the time left survives the cut');
    assert.ok(w.length <= 1 + 59 + 3, `cut to the terminal width: ${w.length}`);
  }
  bar.clear();
  assert.equal(writes.at(-1), '\r\x1b[K');
  assert.ok(!formatProgress(update(3, { a: 1, b: 1 }), 2, true).includes(' w '), 'equal weights of 1 are not repeated on every line');
  assert.match(formatProgress(update(50), 2, true), /^epoch 1\/2 █{8}░{8} 50\/100 /);

  const off = fakeStream(true);
  const silent = new ProgressBar(off.stream, false);
  silent.update(update(1));
  silent.clear();
  assert.deepEqual(off.writes, []);
});
