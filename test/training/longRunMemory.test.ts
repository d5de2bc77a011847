import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';

import { hardSharing } from '../../src/architectures/hardSharing.js';
import { nativeInfo } from '../../src/backend/native.js';
import { disposeBatch, type Batch } from '../../src/data/dataset.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { trainStep } from '../../src/training/trainStep.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { projectingConflictingGradients } from '../../src/weighting/pcgrad.js';
import { toyData } from '../helpers.js';

type AnyMethod = WeightingMethod<unknown, unknown>;

/**
 * 10,000 training steps on whichever backend the suite runs (native, or the fallback):
 * the loss path (equal weighting) and the per-task gradient path (PCGrad on the
 * shared parameters) alternate, over batches with missing labels, with dropout and
 * the fused optimizer. After a warm-up, the number of tensors and their bytes must not
 * move at all, the native buffer pool must stay within its cap, and the process's
 * resident memory must not grow by more than a few buffers' worth.
 */
test('memory stays flat over 10,000 training steps', { timeout: 600_000 }, () => {
  installSeededRandom(11);
  const { data, tasks } = toyData(320);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [32, 16], dropout: 0.2 } });
  const optimizer = new Adam({ weightDecay: 1e-4, decoupled: true });
  const batches: Batch[] = [...data.batches({ batchSize: 32 })];
  const context = { taskNames: tasks.map((t) => t.name), seed: 0 };
  const methods = [equalWeighting, projectingConflictingGradients].map((m) => {
    const method = m as AnyMethod;
    const options = method.resolveOptions(undefined, context);
    return { method, options, state: method.init(context, options) };
  });
  // A full garbage collection before each sample, so that what is measured is what is
  // still reachable, not what the collector has not got round to yet.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const samples: Array<{ step: number; tensors: number; bytes: number; pooled: number; js: number; rss: number }> = [];
  let lastWeights = tasks.map(() => 1);
  const total = 10_000;
  for (let step = 0; step < total; step++) {
    const m = methods[step % 2]!;
    const result = trainStep(batches[step % batches.length]!, {
      model, optimizer, method: m.method, methodOptions: m.options, methodState: m.state, lastWeights,
      learningRate: 1e-3, gradientMode: 'parameters', epoch: 0, step,
    });
    m.state = result.methodState;
    lastWeights = result.weights;
    if ((step + 1) % 1000 === 0) {
      gc();
      const memory = tf.memory();
      const usage = process.memoryUsage();
      samples.push({
        step: step + 1, tensors: memory.numTensors, bytes: memory.numBytes, pooled: nativeInfo()?.pooledBytes ?? 0,
        js: usage.heapUsed + usage.arrayBuffers, rss: usage.rss,
      });
    }
  }
  const [first, ...rest] = samples;
  for (const s of rest) {
    assert.equal(s.tensors, first!.tensors, `tensors at step ${s.step}: ${s.tensors}, at step ${first!.step}: ${first!.tensors}`);
    assert.equal(s.bytes, first!.bytes, `tensor bytes at step ${s.step}: ${s.bytes}, at step ${first!.step}: ${first!.bytes}`);
    assert.ok(s.pooled <= 256 * 1024 * 1024, `native pool at step ${s.step} holds ${s.pooled} bytes, over its 256 MiB cap`);
  }
  // Tensor leaks show exactly in the counts above. What the JS heap and the array
  // buffers (tensor values, the wasm heap) still hold after a collection must not
  // grow either: 8 MiB over 9,000 steps is under 1 KiB a step. Resident memory
  // is only checked for gross leaks outside both (the allocator keeps freed pages, so
  // it wobbles by tens of MiB).
  const growth = (key: 'js' | 'rss') => (samples.at(-1)![key] - first![key]) / 2 ** 20;
  if (process.env['MTL_DEBUG_MEMORY']) console.log(samples.map((s) => `${s.step}: ${s.tensors} tensors, ${(s.js / 2 ** 20).toFixed(1)} MiB js, ${(s.rss / 2 ** 20).toFixed(1)} MiB rss`).join('\n'));
  assert.ok(growth('js') < 8, `JS heap + array buffers grew ${growth('js').toFixed(1)} MiB between steps ${first!.step} and ${total}`);
  assert.ok(growth('rss') < 128, `resident memory grew ${growth('rss').toFixed(1)} MiB between steps ${first!.step} and ${total}`);
  batches.forEach(disposeBatch);
  optimizer.dispose();
  model.model.dispose();
});
