import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { adaShare } from '../../src/architectures/adashare.js';
import { MtlError } from '../../src/errors.js';
import { trainAdaShare, type AdaShareSearchProgress, type AdaShareTrainingArgs } from '../../src/training/adashareTraining.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { getWeightingMethod } from '../../src/weighting/registry.js';
import { toyData } from '../helpers.js';

// 96 rows: two splits of 48, 3 batches of 16 per pass. 2 warm-up epochs + 3 × (weights, policy) = 8 passes.
const PASSES = 8;

class Crash extends Error {}

async function search(dir: string | undefined, extra: Partial<AdaShareTrainingArgs> & { crashAfter?: number } = {}) {
  installSeededRandom(11);
  const { data, tasks } = toyData(96, 6, 5);
  const rows = Array.from({ length: data.size }, (_, i) => i);
  // Dropout: the search draws Gumbel noise and dropout masks from the seeded Math.random.
  const model = adaShare({ tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 8, 6], dropout: 0.2 } });
  const optimizer = new Adam();
  const { crashAfter, ...rest } = extra;
  const args: AdaShareTrainingArgs = {
    model,
    train: data.subset(rows.filter((i) => i % 2 === 0)),
    policyData: data.subset(rows.filter((i) => i % 2 === 1)),
    method: equalWeighting as WeightingMethod<unknown, unknown>,
    methodOptions: {},
    optimizer,
    learningRate: 0.01,
    batchSize: 16,
    warmupEpochs: 2,
    searchEpochs: 3,
    curriculumSpeed: 1,
    policyLearningRate: 0.05,
    retrainFromScratch: false,
    seed: 11,
    ...(dir ? { checkpointDir: join(dir, 'search-checkpoint') } : {}),
    ...(crashAfter !== undefined
      ? {
          onCheckpoint: (p: AdaShareSearchProgress) => {
            if (p.passesDone === crashAfter) throw new Crash(`killed after ${p.passesDone} passes`);
          },
        }
      : {}),
    ...rest,
  };
  try {
    const result = trainAdaShare(args);
    return { model, optimizer, result };
  } catch (e) {
    model.dispose();
    optimizer.dispose();
    throw e;
  }
}

type Run = Awaited<ReturnType<typeof search>>;

const logitsOf = (r: Run) => Object.fromEntries(Object.entries(r.model.policyLogits).map(([t, v]) => [t, Array.from(v.dataSync())]));
const weightsOf = (r: Run) => r.model.model.weights.map((w) => Array.from(w.read().dataSync()));
const dispose = (r: Run) => {
  r.model.dispose();
  r.optimizer.dispose();
};

/** Every number equal to 1e-6, every other value equal. */
function assertClose(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isNaN(expected)) assert.ok(Number.isNaN(actual), `${path}: ${actual} is not NaN`);
    else assert.ok(Math.abs(actual - expected) <= 1e-6, `${path}: ${actual} vs ${expected}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${path}: length`);
    expected.forEach((e, i) => assertClose((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const [k, e] of Object.entries(expected)) assertClose((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

function assertSameRun(resumed: Run, straight: Run): void {
  assert.deepEqual(resumed.result.policy, straight.result.policy);
  assertClose(logitsOf(resumed), logitsOf(straight), 'logits');
  assertClose(weightsOf(resumed), weightsOf(straight), 'weights');
  assertClose(resumed.result.history, straight.result.history, 'history');
  assertClose(resumed.result.executeProbabilities, straight.result.executeProbabilities, 'executeProbabilities');
  assert.equal(resumed.result.history.length, PASSES);
}

/** The final checkpoints of two runs hold the same bytes: weights, logits, both optimizers, RNG, schedule, records. */
function assertSameCheckpoint(a: string, b: string): void {
  for (const f of ['state.json', 'tensors.bin']) {
    assert.ok(readFileSync(join(a, 'search-checkpoint', f)).equals(readFileSync(join(b, 'search-checkpoint', f))), `${f} identical`);
  }
}

test('AdaShare search: killed twice and resumed, it ends exactly where an uninterrupted search does; no tensors leak', async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  const dirB = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  try {
    const before = tf.memory().numTensors;
    const progress: AdaShareSearchProgress[] = [];
    const straight = await search(dirA, { onCheckpoint: (p) => progress.push(p) });
    assert.deepEqual(progress.map((p) => p.passesDone), [1, 2, 3, 4, 5, 6, 7, 8], 'a checkpoint after every pass');
    assert.ok(progress.at(-1)!.finished && !progress.at(-2)!.finished);
    assert.deepEqual(
      straight.result.history.map((h) => `${h.phase}${h.epoch}`),
      ['warmup0', 'warmup1', 'weights0', 'policy0', 'weights1', 'policy1', 'weights2', 'policy2'],
    );
    // Killed between the weight and the policy phase of search epoch 1 (after 3 passes).
    await assert.rejects(search(dirB, { crashAfter: 3 }), Crash);
    const state = JSON.parse(readFileSync(join(dirB, 'search-checkpoint', 'state.json'), 'utf8'));
    assert.equal(state.passesDone, 3);
    assert.equal(state.finished, false);
    assert.equal(state.history.length, 3);
    assert.ok(Array.isArray(state.randomState) && Array.isArray(state.orderState));
    // Resumed, then killed again after a policy phase (τ decayed, curriculum moved on), resumed again.
    const lines: string[] = [];
    await assert.rejects(search(dirB, { resume: true, crashAfter: 6, log: (l) => lines.push(l) }), Crash);
    assert.match(lines[0]!, /resumed the search from .*search-checkpoint: 3 of 8 passes done/);
    assert.equal(lines.filter((l) => /^adashare (warmup|weights|policy) /.test(l)).length, 3, 'only passes 4 to 6 ran');
    const resumed = await search(dirB, { resume: true });
    assertSameRun(resumed, straight);
    assertSameCheckpoint(dirA, dirB);
    dispose(straight);
    dispose(resumed);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind by checkpointing, crashes or resuming');
  } finally {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test('AdaShare search: a method whose state holds Float64Array rows (DB-MTL) resumes exactly', async () => {
  const method = getWeightingMethod('db-mtl') as WeightingMethod<unknown, unknown>;
  const extra = { method, methodOptions: method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: 11 }) };
  const dirA = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  const dirB = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  try {
    const straight = await search(dirA, extra);
    await assert.rejects(search(dirB, { ...extra, crashAfter: 3 }), Crash);
    const state = JSON.parse(readFileSync(join(dirB, 'search-checkpoint', 'state.json'), 'utf8'));
    assert.ok(JSON.stringify(state.methodState).includes('"$float64"'), 'the buffer rows saved as base64 Float64');
    const resumed = await search(dirB, { ...extra, resume: true });
    assertSameRun(resumed, straight);
    assertSameCheckpoint(dirA, dirB);
    dispose(straight);
    dispose(resumed);
  } finally {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test('AdaShare search: a partial temp folder or a checkpoint torn mid-swap does not break resume', async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  const dirB = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  const dirC = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  try {
    const straight = await search(dirA);
    // B: killed after pass 4, then again while writing the next checkpoint: search-checkpoint.tmp holds half of one.
    await assert.rejects(search(dirB, { crashAfter: 4 }), Crash);
    const ckB = join(dirB, 'search-checkpoint');
    mkdirSync(`${ckB}.tmp`);
    writeFileSync(join(`${ckB}.tmp`, 'tensors.bin'), readFileSync(join(ckB, 'tensors.bin')).subarray(0, 100));
    writeFileSync(join(`${ckB}.tmp`, 'state.json'), '{"format":"mtl-adashare-sea');
    const resumedB = await search(dirB, { resume: true });
    assertSameRun(resumedB, straight);
    assertSameCheckpoint(dirA, dirB);
    assert.equal(existsSync(`${ckB}.tmp`), false, 'the next checkpoint replaced the partial temp folder');
    // C: killed between the two renames of a swap: the last complete checkpoint is search-checkpoint.old,
    // search-checkpoint itself is a torn copy (truncated tensors), and a partial .tmp lies beside them.
    await assert.rejects(search(dirC, { crashAfter: 5 }), Crash);
    const ckC = join(dirC, 'search-checkpoint');
    renameSync(ckC, `${ckC}.old`);
    mkdirSync(ckC);
    writeFileSync(join(ckC, 'state.json'), readFileSync(join(`${ckC}.old`, 'state.json')));
    writeFileSync(join(ckC, 'tensors.bin'), readFileSync(join(`${ckC}.old`, 'tensors.bin')).subarray(0, 64));
    mkdirSync(`${ckC}.tmp`);
    writeFileSync(join(`${ckC}.tmp`, 'tensors.bin'), 'partial');
    const lines: string[] = [];
    const resumedC = await search(dirC, { resume: true, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /incomplete .*holds 64 bytes.*using .*search-checkpoint\.old/.test(l)), lines.join('\n'));
    assertSameRun(resumedC, straight);
    assertSameCheckpoint(dirA, dirC);
    for (const r of [straight, resumedB, resumedC]) dispose(r);
  } finally {
    for (const d of [dirA, dirB, dirC]) rmSync(d, { recursive: true, force: true });
  }
});

test('AdaShare search: resuming with other settings, or without a checkpoint, is refused and leaves the checkpoint alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-adashare-'));
  try {
    const before = tf.memory().numTensors;
    await assert.rejects(search(dir, { resume: true }), (e: unknown) => e instanceof MtlError && e.code === 'checkpoint.missing');
    await assert.rejects(search(dir, { crashAfter: 3 }), Crash);
    const state = join(dir, 'search-checkpoint', 'state.json');
    const written = readFileSync(state);
    const mtime = statSync(state).mtimeMs;
    const refused = (path: string) => (e: unknown) => {
      assert.ok(e instanceof MtlError, String(e));
      assert.equal(e.code, 'checkpoint.mismatch');
      assert.equal(e.path, path);
      assert.ok(e.fix);
      return true;
    };
    await assert.rejects(search(dir, { resume: true, searchEpochs: 4 }), refused('model.options.searchEpochs'));
    await assert.rejects(search(dir, { resume: true, temperatureDecay: 0.9 }), refused('model.options.temperatureDecay'));
    await assert.rejects(search(dir, { resume: true, batchSize: 8 }), refused('training.batchSize'));
    await assert.rejects(search(dir, { resume: true, checkpointSettings: { 'model.options.sparsityWeight': 0.01 } }), refused('model.options.sparsityWeight'));
    assert.ok(readFileSync(state).equals(written), 'the checkpoint is unchanged');
    assert.equal(statSync(state).mtimeMs, mtime);
    assert.equal(tf.memory().numTensors, before, 'refused resumes leave no tensors behind');
    // With the original settings it still resumes.
    const resumed = await search(dir, { resume: true });
    assert.equal(resumed.result.history.length, PASSES);
    dispose(resumed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
