import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

/**
 * docs/browser.md's TypeScript is the browser example's own code: each ```ts block
 * appears verbatim in examples/browser/train.ts, which `npm run typecheck` type-checks
 * and test/browser/trainPage.test.ts runs in Chromium. A doc edited without the example
 * (or the example without the doc) fails here.
 */
test('every TypeScript block of docs/browser.md is code of examples/browser/train.ts', () => {
  const doc = readFileSync('docs/browser.md', 'utf8');
  const example = readFileSync('examples/browser/train.ts', 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 1, 'docs/browser.md shows the example');
  for (const block of blocks) {
    for (const part of block.split('\n\n').map((p) => p.trim()).filter(Boolean)) {
      assert.ok(example.includes(part), `docs/browser.md shows code that is not in examples/browser/train.ts:\n${part.slice(0, 400)}`);
    }
  }
  // The documented region is the one the example marks, whole.
  const region = example.split('// --- docs: begin\n')[1]?.split('// --- docs: end')[0]?.trim();
  assert.ok(region && blocks.some((b) => b.includes(region)), 'the block holds the whole docs region of train.ts');
});
