import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The README's code example runs as written, shrunk only in size (fewer examples and
 * epochs) so it fits in a test.
 */
test('the README task-balancing example gives the weights it states', async () => {
  const readme = readFileSync('README.md', 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes("getWeightingMethod('mgda')"));
  assert.ok(block, 'README has the weighting example');
  const file = join('test', '.readme-weighting.ts');
  writeFileSync(file, block.replace("from 'mtl-ts'", "from '../src/index.js'") + '\nglobalThis.__readmeWeights = weights;\n');
  try {
    await import(join(process.cwd(), file));
    const weights = (globalThis as Record<string, unknown>).__readmeWeights as number[];
    const stated = /weights = \[([^\]]+)\]/.exec(block)![1]!.split(',').map(Number);
    weights.forEach((w, i) => assert.ok(Math.abs(w - stated[i]!) < 1e-9, `${w} vs ${stated[i]}`));
  } finally {
    rmSync(file, { force: true });
  }
});

test('the README code example runs', async () => {
  const readme = readFileSync('README.md', 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ts example');
  let code = block[1]!;
  code = code.replace("from 'mtl-ts'", "from '../src/index.js'");
  code = code.replace("multiMnistSplits({ source: 'mnist', seed: 0 })", "multiMnistSplits({ source: 'mnist', seed: 0, trainSize: 256, testSize: 64 })");
  code = code.replace('epochs: 40', 'epochs: 1, progress: false');
  code = code.replace("runDir: 'runs/mine'", "runDir: RUN_DIR");
  code = code.replace('console.log(evaluate(model, test));', 'globalThis.__readmeResult = evaluate(model, test);');
  code = code.replace('const [left, right] =', 'globalThis.__readmePredictions =');
  const runDir = join('test', '.readme-run');
  const file = join('test', `.readme-example.ts`);
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
