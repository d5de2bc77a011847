import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { MtlError } from '../../src/errors.js';
import { readExperiment, validateExperiment } from '../../src/experiment/config.js';
import { AffinityRecorder, readAffinityMeasurements } from '../../src/grouping/affinityRecorder.js';
import { formatAffinity } from '../../src/grouping/formatAffinity.js';
import { readAffinity, runAffinity } from '../../src/grouping/runAffinity.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { toyData } from '../helpers.js';

const quiet = { progress: false, log: () => {} };

async function train(runDir: string, recorder: AffinityRecorder, extra: { stopAfterSteps?: number; resume?: boolean } = {}) {
  installSeededRandom(5);
  const { data, tasks } = toyData(120);
  const model = hardSharing({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8], dropout: 0.2 } });
  const optimizer = new Adam();
  await fit({
    model, train: data, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, optimizer, learningRate: 0.01,
    epochs: 3, batchSize: 16, seed: 5, runDir, beforeStep: recorder.beforeStep, ...quiet, ...extra,
  });
  optimizer.dispose();
  model.model.dispose();
}

test('a stopped affinity run resumes: the recordings before the checkpoint are kept, later ones made again, the result as if never stopped', async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'mtl-aff-'));
  const dirB = mkdtempSync(join(tmpdir(), 'mtl-aff-'));
  try {
    const straight = new AffinityRecorder({ every: 3, file: join(dirA, 'affinity.jsonl') });
    await train(dirA, straight);
    const first = new AffinityRecorder({ every: 3, file: join(dirB, 'affinity.jsonl') });
    await train(dirB, first, { stopAfterSteps: 11 });
    // A recording made after the checkpoint (a kill between checkpoints) that must not count twice.
    const last = first.recordings().at(-1)!;
    appendFileSync(join(dirB, 'affinity.jsonl'), JSON.stringify({ ...last, step: 12 }) + '\n');
    const resumed = new AffinityRecorder({ every: 3, file: join(dirB, 'affinity.jsonl'), resume: true });
    assert.equal(resumed.recordings().length, first.recordings().length + 1);
    await train(dirB, resumed, { resume: true });
    assert.deepEqual(resumed.recordings(), straight.recordings());
    assert.deepEqual(readAffinityMeasurements(join(dirB, 'affinity.jsonl')), straight.recordings());
    assert.deepEqual(resumed.result(), straight.result());
    // 8 batches per epoch, 24 steps, every 3: steps 0, 3, …, 21.
    assert.deepEqual(straight.recordings().map((r) => r.step), [0, 3, 6, 9, 12, 15, 18, 21]);
  } finally {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test('runAffinity writes affinity.json and affinity.jsonl into a normal run folder; the matrix prints with negative pairs marked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-aff-'));
  try {
    const base = readExperiment('examples/planted-clusters.yaml');
    const config = validateExperiment({
      ...base,
      data: { ...base.data, clusters: [2, 2], trainSize: 200 },
      tasks: ['a1', 'a2', 'b1', 'b2'].map((name) => ({ name, kind: 'regression' })),
      training: { ...base.training, epochs: 4 },
      grouping: { affinityEvery: 5 },
    });
    const run = await runAffinity(config, { runDir: join(dir, 'run'), ...quiet });
    for (const f of ['affinity.json', 'affinity.jsonl', 'summary.json', 'metrics.jsonl', 'config.json']) assert.ok(existsSync(join(dir, 'run', f)), f);
    const saved = readAffinity(join(dir, 'run'));
    assert.deepEqual(saved, JSON.parse(JSON.stringify(run.affinity)));
    assert.equal(saved.every, 5);
    assert.deepEqual(saved.tasks, ['a1', 'a2', 'b1', 'b2']);
    // 50 training examples, batch 16: 4 batches per epoch, 16 steps, recorded at 0, 5, 10, 15.
    assert.equal(saved.records, 4);
    assert.equal(saved.epochs.length, 4);
    const text = formatAffinity(saved);
    const negatives = saved.affinity.flatMap((row, i) => row.filter((v, j) => i !== j && v !== null && v < 0)).length;
    assert.equal((text.match(/%\*/g) ?? []).length, negatives);
    assert.match(text, negatives > 0 ? /negative pairs: / : /no negative pair/);
    await assert.rejects(runAffinity(config, { runDir: join(dir, 'run'), ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'run.exists');
    // The folder is untouched by the refusal.
    assert.equal(readAffinityMeasurements(join(dir, 'run', 'affinity.jsonl')).length, 4);
    const one = validateExperiment({ ...config, tasks: [{ name: 'a1', kind: 'regression' }] });
    await assert.rejects(runAffinity(one, { runDir: join(dir, 'one'), ...quiet }), (e: unknown) => e instanceof MtlError && e.code === 'grouping.too_few_tasks');
    assert.throws(() => readAffinity(join(dir, 'nothing')), (e: unknown) => e instanceof MtlError && e.code === 'grouping.no_affinity');
    assert.ok(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8')).multiTask);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
