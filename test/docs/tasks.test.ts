import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

/** The examples of docs/tasks.md run as written (fewer epochs) and do what the guide says. */

const blocks = () => [...readFileSync('docs/tasks.md', 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const fromSource = (code: string) => code.replace(/from 'tfjs-multitask'/g, "from '../src/index.js'");

async function runBlock(name: string, code: string): Promise<void> {
  const file = join('test', `.docs-tasks-${name}.ts`);
  writeFileSync(file, code);
  try {
    await import(join(process.cwd(), file));
  } finally {
    rmSync(file, { force: true });
  }
}

test('docs/tasks.md: a task with a custom loss and metric trains and reports the metric', { timeout: 300_000 }, async () => {
  const block = blocks().find((b) => b.includes('function huber('));
  assert.ok(block, 'docs/tasks.md has the custom loss example');
  const code = fromSource(block)
    .replace('epochs: 5', 'epochs: 2, progress: false, log: () => {}')
    .replace('console.log(evaluate(model, test).task0!.metrics);', 'globalThis.__tasksMetrics = evaluate(model, test);');
  await runBlock('loss', code);
  const result = (globalThis as Record<string, unknown>).__tasksMetrics as Record<string, { metrics: Record<string, number> }>;
  assert.deepEqual(Object.keys(result.task0!.metrics), ['within0.5']);
  const share = result.task0!.metrics['within0.5']!;
  assert.ok(share >= 0 && share <= 1, `a share: ${share}`);
  assert.deepEqual(Object.keys(result.task1!.metrics), ['mse', 'mae']);
});

test('docs/tasks.md: the Huber loss of the example is the Huber loss', async () => {
  const block = blocks().find((b) => b.includes('function huber('))!;
  const fn = /function huber[\s\S]*?\n}\n/.exec(block)![0];
  await runBlock('huber', `import * as tf from '@tensorflow/tfjs';\n${fn}\nglobalThis.__huber = huber;\n`);
  const huber = (globalThis as Record<string, unknown>).__huber as (o: tf.Tensor2D, l: tf.Tensor2D) => tf.Tensor1D;
  const before = tf.memory().numTensors;
  const out = huber(tf.tensor2d([[0.5], [3], [-2]]), tf.tensor2d([[0], [0], [0]]));
  // |e| ≤ 1: e²/2; beyond: |e| − 1/2.
  assert.deepEqual(Array.from(out.dataSync()), [0.125, 2.5, 1.5]);
  tf.dispose(out);
  assert.ok(tf.memory().numTensors <= before + 2); // the two inputs above
});

test('docs/tasks.md: a frozen pretrained encoder trains only the heads', { timeout: 300_000 }, async () => {
  const block = blocks().find((b) => b.includes("loadModel('models/encoder')"));
  assert.ok(block, 'docs/tasks.md has the pretrained encoder example');
  const dir = join('test', '.docs-tasks-encoder');
  const { saveModel } = await import('../../src/io/modelFiles.js');
  const input = tf.input({ shape: [100] });
  const encoder = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 8, activation: 'relu' }).apply(input) as tf.SymbolicTensor });
  await saveModel(encoder, dir);
  const saved = encoder.getWeights().map((w) => Array.from(w.dataSync()));
  try {
    const code = fromSource(block)
      .replace("'models/encoder'", JSON.stringify(dir))
      .replace('epochs: 5', 'epochs: 1, progress: false, log: () => {}')
      .replace('console.log(model.sharedVariables.length, tf.memory().numTensors);', 'globalThis.__pretrained = model;');
    await runBlock('encoder', code);
    const model = (globalThis as Record<string, unknown>).__pretrained as { sharedVariables: unknown[]; model: tf.LayersModel };
    assert.equal(model.sharedVariables.length, 0, 'the frozen encoder is not trained');
    const encoderLayer = model.model.layers.find((l) => l instanceof tf.LayersModel) as tf.LayersModel;
    assert.deepEqual(encoderLayer.getWeights().map((w) => Array.from(w.dataSync())), saved, 'its weights are unchanged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
