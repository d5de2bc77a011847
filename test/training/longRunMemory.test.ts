import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';

import { hardSharing } from '../../src/architectures/hardSharing.js';
import { nativeInfo } from '../../src/backend/native.js';
import { disposeBatch, type Batch } from '../../src/data/dataset.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/training/seededRandom.js';
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
  const samples: Array<{ step: number; tensors: number; bytes: number; pooled: number; rss: number }> = [];
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
      const memory = tf.memory();
      samples.push({ step: step + 1, tensors: memory.numTensors, bytes: memory.numBytes, pooled: nativeInfo()?.pooledBytes ?? 0, rss: process.memoryUsage().rss });
    }
  }
  const [first, ...rest] = samples;
  for (const s of rest) {
    assert.equal(s.tensors, first!.tensors, `tensors at step ${s.step}: ${s.tensors}, at step ${first!.step}: ${first!.tensors}`);
    assert.equal(s.bytes, first!.bytes, `tensor bytes at step ${s.step}: ${s.bytes}, at step ${first!.step}: ${first!.bytes}`);
    assert.ok(s.pooled <= 256 * 1024 * 1024, `native pool at step ${s.step} holds ${s.pooled} bytes, over its 256 MiB cap`);
  }
  // Tensor leaks show exactly in the counts above. RSS wobbles by ±30 MiB with garbage
  // collection here (measured), so this bound only catches gross leaks outside tfjs's
  // bookkeeping (≥ 48 MiB over 9,000 steps: about 5 KiB per step).
  const growth = (samples.at(-1)!.rss - first!.rss) / 2 ** 20;
  if (process.env["MTL_DEBUG_MEMORY"]) console.log(samples.map((s) => `${s.step}: ${s.tensors} tensors, ${(s.rss / 2 ** 20).toFixed(1)} MiB rss`).join("\n"));
  assert.ok(growth < 48, `resident memory grew ${growth.toFixed(1)} MiB between steps ${first!.step} and ${total}`);
  batches.forEach(disposeBatch);
  optimizer.dispose();
  model.model.dispose();
});
