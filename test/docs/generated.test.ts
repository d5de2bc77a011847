import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { replaceParts } from '../../scripts/generateDocs.js';

/** The generated parts of docs/ (balancing table, architecture options, CLI reference) match the code. */
test('the generated parts of the guides are up to date (npm run docs:generate)', { timeout: 120_000 }, () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generateDocs.ts', '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});

test('replaceParts rewrites only between its markers and refuses a missing pair', () => {
  const text = 'a\n<!-- begin generated: x (npm run docs:generate) -->\nold\n<!-- end generated: x -->\nb\n';
  assert.equal(replaceParts(text, { x: 'new' }, 'f.md'), 'a\n<!-- begin generated: x (npm run docs:generate) -->\nnew\n<!-- end generated: x -->\nb\n');
  assert.throws(() => replaceParts('no markers', { x: 'new' }, 'f.md'), /markers of the generated part "x" are missing/);
});
