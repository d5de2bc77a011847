import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadCsvSplits } from '../../src/data/csv.js';
import { CsvStreamingDataset } from '../../src/data/csvStreamingDataset.js';
import { disposeBatch, type Dataset } from '../../src/data/dataset.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { Random } from '../../src/random/random.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtl-stream-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TARGETS = [
  { name: 'churn', kind: 'binary' as const, columns: ['churn'] },
  { name: 'spend', kind: 'regression' as const, columns: ['spend'] },
];

function writeData(path: string, n: number): void {
  const r = new Random(4);
  const lines = ['id;x;plan;churn;spend'];
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    lines.push([i, r.next() < 0.05 ? 'NA' : x.toFixed(4), ['basic', 'pro', ''][r.int(3)], r.next() < 0.2 ? '' : x + r.normal() > 0 ? 'yes' : 'no', (1000 + 300 * x).toFixed(1)].join(';'));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Every row of a data set's batches (inputs then each task's label and mask), in batch order. */
function rowsOf(data: Dataset, options: Parameters<Dataset['batches']>[0]): string[] {
  const out: string[] = [];
  for (const batch of data.batches(options)) {
    const x = batch.x.arraySync() as number[][];
    const labels = data.taskNames.map((t) => batch.labels[t]!.arraySync() as number[][]);
    const masks = data.taskNames.map((t) => Array.from(batch.masks[t]!.dataSync()));
    x.forEach((row, i) => out.push(JSON.stringify([row, labels.map((l) => l[i]), masks.map((m) => m[i])])));
    disposeBatch(batch);
  }
  return out;
}

test('a streaming data set yields the same rows as the in-memory one, shuffled within its buffer, reproducibly, leaking no tensors', () => {
  const path = join(tmp, 'data.csv');
  writeData(path, 1000);
  const args = { features: ['x', 'plan'], targets: TARGETS, standardize: true, testFraction: 0.2, seed: 1, chunkBytes: 4096 };
  const memory = loadCsvSplits(path, { ...args, stream: false });
  const stream = loadCsvSplits(path, { ...args, stream: true, shuffleBuffer: 100 });
  assert.equal(stream.streaming, true);
  assert.ok(stream.train instanceof CsvStreamingDataset, 'streams');
  assert.deepEqual(stream.preprocessor, memory.preprocessor, 'the same preprocessing, fitted in one pass over the training rows');
  assert.equal(stream.train.size, memory.train.size);
  assert.deepEqual(stream.train.inputShape, memory.train.inputShape);
  assert.deepEqual(stream.train.labelCounts(), memory.train.labelCounts());
  assert.deepEqual(stream.test.labelCounts(), memory.test.labelCounts());
  assert.equal(stream.train.labelWidth('spend'), 1);
  const before = tf.memory().numTensors;
  // In order: the same rows in the same order.
  assert.deepEqual(rowsOf(stream.test, { batchSize: 64 }), rowsOf(memory.test, { batchSize: 64 }));
  // Shuffled: the same multiset of rows, in another order; the same seed gives the same order.
  const inOrder = rowsOf(memory.train, { batchSize: 50 });
  const shuffled = rowsOf(stream.train, { batchSize: 50, random: new Random('epoch 0') });
  assert.equal(shuffled.length, inOrder.length);
  assert.deepEqual([...shuffled].sort(), [...inOrder].sort());
  assert.notDeepEqual(shuffled, inOrder);
  assert.deepEqual(rowsOf(stream.train, { batchSize: 50, random: new Random('epoch 0') }), shuffled, 'reproducible');
  // Resuming mid-epoch: skipping batches gives the rest of the same epoch.
  assert.deepEqual(rowsOf(stream.train, { batchSize: 50, random: new Random('epoch 0'), skipBatches: 3 }), shuffled.slice(150));
  // Fewer batches with dropLast; the task subset of a baseline.
  assert.equal(stream.train.batchCount(64, true), Math.floor(stream.train.size / 64));
  assert.equal(rowsOf(stream.train, { batchSize: 64, random: new Random(2), dropLast: true }).length, Math.floor(stream.train.size / 64) * 64);
  const churn = stream.train.withTasks(['churn']);
  assert.deepEqual(churn.taskNames, ['churn']);
  for (const b of churn.batches({ batchSize: 500 })) {
    assert.deepEqual(Object.keys(b.labels), ['churn']);
    disposeBatch(b);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
});

test('an experiment trains from a streaming CSV file and evaluates on the same test rows', async () => {
  const path = join(tmp, 'train.csv');
  writeData(path, 600);
  const config = (stream: boolean) =>
    validateExperiment({
      name: 'stream',
      seed: 0,
      data: { source: 'csv', path, features: ['x', 'plan'], standardize: true, testFraction: 0.25, stream, shuffleBuffer: 64 },
      tasks: TARGETS.map((t) => ({ name: t.name, kind: t.kind, columns: t.columns })),
      model: { encoder: { type: 'mlp', hidden: [8] } },
      training: { epochs: 2, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.01 } },
    });
  const run = async (stream: boolean) => runExperiment(config(stream), { runDir: join(tmp, `run-${stream}`), progress: false, log: () => {} });
  const streamed = await run(true);
  const inMemory = await run(false);
  for (const task of ['churn', 'spend']) {
    assert.equal(streamed.multiTask!.evaluation[task]!.examples, inMemory.multiTask!.evaluation[task]!.examples, `${task}: same test rows`);
  }
  assert.ok(Number.isFinite(streamed.multiTask!.evaluation.spend!.metrics.mse!), 'trained and evaluated');
});
