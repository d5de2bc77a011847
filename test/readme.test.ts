import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The README's and the balancing guide's code examples run as written, shrunk only in
 * size (fewer examples and epochs) so they fit in a test. (test/docs/snippets.test.ts
 * type-checks every block of the docs; these run the main ones.)
 */

const tsBlocks = (file: string) => [...readFileSync(file, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const fromSource = (code: string) => code.replace("from 'tfjs-multitask'", "from '../src/index.js'");

test('the balancing guide\'s MGDA example gives the weights it states', async () => {
  const block = tsBlocks('docs/balancing.md').find((b) => b.includes("getWeightingMethod('mgda')"));
  assert.ok(block, 'docs/balancing.md has the weighting example');
  const file = join('test', '.readme-weighting.ts');
  writeFileSync(file, fromSource(block) + '\nglobalThis.__readmeWeights = weights;\n');
  try {
    await import(join(process.cwd(), file));
    const weights = (globalThis as Record<string, unknown>).__readmeWeights as number[];
    const stated = /weights = \[([^\]]+)\]/.exec(block)![1]!.split(',').map(Number);
    assert.equal(weights.length, 2);
    weights.forEach((w, i) => assert.ok(Math.abs(w - stated[i]!) < 1e-9, `${w} vs ${stated[i]}`));
  } finally {
    rmSync(file, { force: true });
  }
});

test('the README image example runs', { timeout: 300_000 }, async () => {
  const block = tsBlocks('README.md').find((b) => b.includes('multiMnistSplits('));
  assert.ok(block, 'README has the MultiMNIST example');
  let code = fromSource(block);
  const replace = (from: string, to: string) => {
    assert.ok(code.includes(from), `the README example still has ${from}`);
    code = code.replace(from, to);
  };
  replace("multiMnistSplits({ source: 'mnist', seed: 0 })", "multiMnistSplits({ source: 'mnist', seed: 0, trainSize: 256, testSize: 64 })");
  replace('epochs: 40', 'epochs: 1, progress: false');
  replace("runDir: 'runs/mine'", 'runDir: RUN_DIR');
  replace('console.log(evaluate(model, test));', 'globalThis.__readmeResult = evaluate(model, test);');
  replace('const [left, right] =', 'globalThis.__readmePredictions =');
  const runDir = join('test', '.readme-run');
  const file = join('test', '.readme-example.ts');
  writeFileSync(file, `const RUN_DIR = ${JSON.stringify(runDir)};\n${code}`);
  try {
    await import(join(process.cwd(), file));
    const result = (globalThis as Record<string, unknown>).__readmeResult as Record<string, { metrics: { accuracy: number } }>;
    assert.deepEqual(Object.keys(result), ['left', 'right']);
    assert.ok(result.left!.metrics.accuracy >= 0 && result.left!.metrics.accuracy <= 1);
    const predictions = (globalThis as Record<string, unknown>).__readmePredictions as Array<{ shape: number[] }>;
    assert.deepEqual(predictions.map((p) => p.shape), [[1, 10], [1, 10]]);
  } finally {
    rmSync(file, { force: true });
    rmSync(runDir, { recursive: true, force: true });
  }
});

test('the README tabular example trains from the CSV and saves a model that reads raw rows', { timeout: 300_000 }, async () => {
  const block = tsBlocks('README.md').find((b) => b.includes('loadCsvSplits('));
  assert.ok(block, 'README has the CSV example');
  const dir = join('test', '.readme-tabular-model');
  let code = fromSource(block);
  for (const [from, to] of [
    ['epochs: 20', 'epochs: 2, progress: false, log: () => {}'],
    ["'models/customers'", JSON.stringify(dir)],
    ['console.log(evaluate(model, split.test));', 'globalThis.__readmeTabular = evaluate(model, split.test);'],
  ] as const) {
    assert.ok(code.includes(from), `the README example still has ${from}`);
    code = code.replace(from, to);
  }
  const file = join('test', '.readme-tabular.ts');
  writeFileSync(file, code);
  try {
    await import(join(process.cwd(), file));
    const result = (globalThis as Record<string, unknown>).__readmeTabular as Record<string, { metrics: Record<string, number> }>;
    assert.deepEqual(Object.keys(result), ['churn', 'spend']);
    assert.deepEqual(Object.keys(result.churn!.metrics), ['auc', 'accuracy'], 'the comment in the README names these metrics');
    assert.deepEqual(Object.keys(result.spend!.metrics), ['mse', 'mae']);
    const { loadMultiTaskModel } = await import('../src/io/multiTaskModelFiles.js');
    const model = await loadMultiTaskModel(dir);
    const [p] = model.predictRows([{ age: '41', income: 52.5, plan: 'pro', region: null }]);
    assert.ok(['no', 'yes'].includes((p!.churn as { label: string }).label), JSON.stringify(p));
    model.model.dispose();
  } finally {
    rmSync(file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
