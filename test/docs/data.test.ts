import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

/** The code of docs/data.md runs as written, shrunk only in epochs, and its saved model predicts raw rows. */
test('docs/data.md: the "In code" example trains from the CSV and saves a model that reads raw rows', { timeout: 300_000 }, async () => {
  const doc = readFileSync('docs/data.md', 'utf8');
  const block = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('loadCsvSplits('));
  assert.ok(block, 'docs/data.md has the loadCsvSplits example');
  const dir = join('test', '.docs-data-model');
  const code = block
    .replace("from 'tfjs-multitask'", "from '../src/index.js'")
    .replace('epochs: 20', 'epochs: 1, progress: false, log: () => {}')
    .replace("'models/customers'", JSON.stringify(dir));
  const file = join('test', '.docs-data-example.ts');
  writeFileSync(file, code);
  try {
    await import(join(process.cwd(), file));
    const { loadMultiTaskModel } = await import('../../src/io/multiTaskModelFiles.js');
    const model = await loadMultiTaskModel(dir);
    const [p] = model.predictRows([{ age: '41', income: 52.5, plan: 'pro', region: null }]);
    assert.ok(['no', 'yes'].includes((p!.churn as { label: string }).label), JSON.stringify(p));
    assert.ok((p!.spend as { value: number }).value > 1000, `spend in its units: ${JSON.stringify(p!.spend)}`);
    model.model.dispose();
  } finally {
    rmSync(file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
