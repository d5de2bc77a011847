import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { ArrayDataset, disposeBatch } from '../../src/data/dataset.js';
import { createTask } from '../../src/tasks/createTask.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { checkTaskScales, measureTaskScales, scaleWarning, SCALE_WARNING_RATIO } from '../../src/training/scaleCheck.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { getWeightingMethod, weightingMethods } from '../../src/weighting/registry.js';
import { Random } from '../../src/random/random.js';

test('every weighting method declares whether it balances task scales', () => {
  for (const [name, m] of Object.entries(weightingMethods)) assert.equal(typeof m.balancesScales, 'boolean', name);
  const balancing = Object.values(weightingMethods).filter((m) => m.balancesScales).map((m) => m.name).sort();
  assert.deepEqual(balancing, [
    'aligned-mtl', 'aligned-mtl-ub', 'db-mtl', 'fairgrad', 'famo', 'gls', 'gradnorm', 'imtl', 'imtl-g', 'imtl-l', 'mgda', 'mgda-ub', 'moco', 'modo', 'nash-mtl', 'stch', 'uncertainty',
  ]);
});

/** Two regression tasks on the same inputs, the second's targets `scale` times larger. */
function scaledData(n: number, scale: number): ArrayDataset {
  const r = new Random(1);
  const x = new Float32Array(n * 4).map(() => r.normal());
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = x[i * 4]! - x[i * 4 + 1]!;
    b[i] = scale * (x[i * 4 + 2]! + 0.5 * x[i * 4 + 3]!);
  }
  return new ArrayDataset({ data: x, shape: [n, 4] }, { a: { values: a, width: 1 }, b: { values: b, width: 1 } }, 'scaled');
}

const tasks = () => [createTask({ name: 'a', kind: 'regression' }), createTask({ name: 'b', kind: 'regression' })];

test('measureTaskScales: each task\'s loss and the norm of its gradient on the shared variables, as computed directly', () => {
  installSeededRandom(2);
  const model = hardSharing({ tasks: tasks(), inputShape: [4], encoder: { type: 'mlp', hidden: [8] } });
  const data = scaledData(64, 100);
  const before = tf.memory().numTensors;
  const [batch] = [...data.batches({ batchSize: 64 })];
  const scales = measureTaskScales(model, batch!);
  // Directly: the mean squared error of each head, and ‖∇_shared‖ by tf.grads.
  const shared = model.sharedVariables as tf.Variable[];
  for (const t of ['a', 'b']) {
    const direct = tf.tidy(() => {
      const f = () => tf.mean(tf.square(tf.sub(model.forward(batch!.x, false)[t]!, batch!.labels[t]!))) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, shared);
      const norm = Math.sqrt(Object.values(grads).reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0]!, 0));
      return [value.dataSync()[0]!, norm];
    }) as unknown as number[];
    assert.ok(Math.abs(scales.losses[t]! - direct[0]!) <= 1e-5 * direct[0]!, `${t} loss ${scales.losses[t]} vs ${direct[0]}`);
    assert.ok(Math.abs(scales.gradientNorms![t]! - direct[1]!) <= 1e-4 * direct[1]!, `${t} gradient norm ${scales.gradientNorms![t]} vs ${direct[1]}`);
  }
  assert.ok(scales.losses.b! > 1000 * scales.losses.a!, `b's targets are 100× larger: ${JSON.stringify(scales.losses)}`);
  disposeBatch(batch!);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  model.model.dispose();
});

test('scaleWarning fires above 10× for a method that does not balance scales, names the tasks and the fixes', () => {
  const equal = { name: 'equal', balancesScales: false };
  const near = { losses: { a: 1, b: SCALE_WARNING_RATIO * 0.99 }, gradientNorms: { a: 1, b: 2 } };
  assert.equal(scaleWarning(near, equal), undefined, 'under 10× apart: quiet');
  const far = { losses: { a: 0.7, b: 1.4 }, gradientNorms: { a: 0.5, b: 600 } };
  const warning = scaleWarning(far, equal)!;
  assert.match(warning, /^warning: the tasks differ in scale/);
  assert.match(warning, /gradient norms on the shared layers a 0\.500, b 600 \(1\.20e\+3× apart\)/);
  assert.doesNotMatch(warning, /initial losses/, 'the losses are within 10×');
  assert.match(warning, /"b" will dominate the shared layers and "a" may learn little/);
  assert.match(warning, /data\.standardize: true/);
  assert.match(warning, /uncertainty/);
  assert.doesNotMatch(warning, /\bdwa\b|\bequal\b,|\brlw\b/, 'suggests only methods that balance scales');
  assert.equal(scaleWarning(far, getWeightingMethod('uncertainty')), undefined, 'uncertainty balances scales');
  assert.ok(scaleWarning(far, getWeightingMethod('pcgrad')), 'pcgrad does not');
  assert.match(scaleWarning({ losses: { a: 1e4, b: 0.5 } }, equal)!, /initial losses a 1\.00e\+4, b 0\.500/);
});

test('fit warns once at the start, records the scales in metrics.jsonl, and not on resume', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-scales-'));
  try {
    const run = async (resume: boolean, method: WeightingMethod<unknown, unknown>) => {
      installSeededRandom(3);
      const model = hardSharing({ tasks: tasks(), inputShape: [4], encoder: { type: 'mlp', hidden: [8] } });
      const optimizer = new Adam();
      const lines: string[] = [];
      const data = scaledData(128, 1000);
      await fit({
        model, train: data, method, methodOptions: method.resolveOptions(undefined, { taskNames: ['a', 'b'], seed: 0 }), optimizer,
        learningRate: 0.01, epochs: resume ? 2 : 1, batchSize: 32, seed: 3, runDir: dir, resume, progress: false, log: (l) => lines.push(l),
      });
      optimizer.dispose();
      model.model.dispose();
      return lines.filter((l) => l.startsWith('warning:'));
    };
    assert.equal((await run(false, equalWeighting as WeightingMethod<unknown, unknown>)).length, 1);
    const records = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(records[0].type, 'scales');
    assert.ok(records[0].losses.b > 100 * records[0].losses.a, JSON.stringify(records[0]));
    assert.equal((await run(true, equalWeighting as WeightingMethod<unknown, unknown>)).length, 0, 'a resumed run does not check again');
    rmSync(dir, { recursive: true, force: true });
    assert.equal((await run(false, getWeightingMethod('uncertainty') as WeightingMethod<unknown, unknown>)).length, 0, 'a balancing method: no warning');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkTaskScales skips single-task models', () => {
  installSeededRandom(4);
  const model = hardSharing({ tasks: [createTask({ name: 'a', kind: 'regression' })], inputShape: [4], encoder: { type: 'mlp', hidden: [4] } });
  assert.equal(checkTaskScales({ model, data: scaledData(16, 1).withTasks(['a']), method: { name: 'equal', balancesScales: false }, batchSize: 8, seed: 0, log: () => assert.fail('no log') }), undefined);
  model.model.dispose();
});
