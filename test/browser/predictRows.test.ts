import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { customersCsv } from '../../examples/data/makeCustomers.js';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { loadCsvDataset, loadCsvSplits } from '../../src/data/csv.js';
import type { Prediction } from '../../src/inference/loadedModel.js';
import { loadMultiTaskModel, saveMultiTaskModel } from '../../src/io/multiTaskModelFiles.js';
import { createTask } from '../../src/tasks/createTask.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';
import { chromiumOrSkip, pageScript, runPage } from './harness.js';

/**
 * Raw rows in, predictions out, in a browser: a model trained from a CSV file with
 * categorical and missing features, loaded in headless Chromium through the
 * `tfjs-multitask/browser` entry, maps raw records to the same predictions (class names,
 * probabilities, regression values in their units) as the in-memory model in Node.
 */

const FEATURES = ['age', 'income', 'plan', 'region', 'tenure_months', 'support_calls'];
const TARGETS = [
  { name: 'churn', kind: 'binary' as const, columns: ['churned'] },
  { name: 'segment', kind: 'multiclass' as const, columns: ['segment'] },
  { name: 'spend', kind: 'regression' as const, columns: ['annual_spend'] },
];
const ROWS = [
  { age: '35', income: '52.5', plan: 'pro', region: 'north', tenure_months: '12', support_calls: '0' },
  { age: 'NA', income: '', plan: 'basic', region: '', tenure_months: '3', support_calls: '6' },
  { age: 61, income: 30.1, plan: null, region: 'atlantis', tenure_months: 70, support_calls: 1 },
];

interface Report {
  ok: boolean;
  error?: string;
  backend?: string;
  columns?: string[];
  predictions?: Prediction[];
}

const PAGE = pageScript(`
    var tf = window.mtl.tf;
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend unavailable');
    await tf.ready();
    var rows = await (await fetch('/rows.json')).json();
    var model = await window.mtl.loadMultiTaskModel('/model/model.json');
    var predictions = model.predictRows(rows);
    var report = { backend: tf.getBackend(), columns: model.columns, predictions: predictions };
    model.model.dispose();
    return report;
`);

test("predictRows in headless Chromium gives the in-memory model's predictions, with class names and values in their units", { timeout: 300_000 }, async (t) => {
  const chromium = chromiumOrSkip(t, 'browser predictRows test');
  if (!chromium) return;
  const work = mkdtempSync(join(tmpdir(), 'mtl-browser-rows-'));
  try {
    const path = join(work, 'customers.csv');
    writeFileSync(path, customersCsv(400, 8));
    const split = loadCsvSplits(path, { features: FEATURES, targets: TARGETS, standardize: true, missingIndicators: true, testFraction: 0.2, seed: 0, stream: false });
    installSeededRandom(0);
    const tasks = [
      createTask({ name: 'churn', kind: 'binary' }),
      createTask({ name: 'segment', kind: 'multiclass', classes: 3 }),
      createTask({ name: 'spend', kind: 'regression', targetScaling: split.preprocessor.targets[2]!.scaling! }),
    ];
    const model = hardSharing({ tasks, inputShape: split.train.inputShape, encoder: { type: 'mlp', hidden: [16] } });
    const optimizer = new Adam();
    await fit({ model, train: split.train, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, optimizer, learningRate: 0.01, epochs: 3, batchSize: 32, seed: 0, progress: false, log: () => {} });
    const dir = join(work, 'model');
    await saveMultiTaskModel(model, dir, { inputShape: split.train.inputShape, preprocessing: split.preprocessor });
    // In memory: the rows as CSV through the data pipeline, the model's forward pass and output activations.
    const csv = join(work, 'rows.csv');
    writeFileSync(csv, [FEATURES.join(','), ...ROWS.map((r) => FEATURES.map((f) => String((r as Record<string, unknown>)[f] ?? '')).join(','))].join('\n') + '\n');
    const encoded = loadCsvDataset(csv, { features: FEATURES, targets: [], preprocessor: split.preprocessor }).dataset;
    const expected = tf.tidy(() => {
      const x = tf.tensor(encoded.features.data as Float32Array, [encoded.size, ...encoded.inputShape]);
      const out = model.forward(x, false);
      return Object.fromEntries(tasks.map((task) => [task.name, Array.from(task.activate(out[task.name]!).dataSync())]));
    });
    optimizer.dispose();
    model.model.dispose();
    // In Node through the loader (the same code as the page).
    const node = await loadMultiTaskModel(dir);
    const nodePredictions = node.predictRows(ROWS);
    node.model.dispose();

    const report = await runPage<Report>(
      chromium,
      PAGE,
      new Map([
        ['/rows.json', { type: 'application/json', body: JSON.stringify(ROWS) }],
        ['/model/model.json', { type: 'application/json', body: readFileSync(join(dir, 'model.json')) }],
        ['/model/weights.bin', { type: 'application/octet-stream', body: readFileSync(join(dir, 'weights.bin')) }],
      ]),
    );
    assert.equal(report.error, undefined, `the page reported an error: ${report.error}`);
    assert.equal(report.backend, 'cpu');
    assert.deepEqual(report.columns, FEATURES);
    const page = report.predictions!;
    assert.equal(page.length, ROWS.length);
    const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: browser ${a} vs ${b}`);
    page.forEach((p, i) => {
      const churn = p.churn as { label: string; probability: number };
      close(churn.probability, expected.churn![i]!, 1e-5, `row ${i} churn`);
      assert.equal(churn.label, expected.churn![i]! >= 0.5 ? 'yes' : 'no');
      const segment = p.segment as { label: string; probabilities: Record<string, number> };
      assert.deepEqual(Object.keys(segment.probabilities), ['budget', 'premium', 'standard']);
      Object.values(segment.probabilities).forEach((q, k) => close(q, expected.segment![i * 3 + k]!, 1e-5, `row ${i} segment ${k}`));
      const probs = expected.segment!.slice(i * 3, i * 3 + 3);
      assert.equal(segment.label, ['budget', 'premium', 'standard'][probs.indexOf(Math.max(...probs))]);
      const spend = p.spend as { value: number; values: Record<string, number> };
      close(spend.value, expected.spend![i]!, Math.abs(expected.spend![i]!) * 1e-5, `row ${i} spend`);
      assert.deepEqual(Object.keys(spend.values), ['annual_spend']);
      assert.ok(spend.value > 1000, `row ${i} spend ${spend.value} is in the target's units`);
      assert.deepEqual(p.churn && (p.churn as { label: string }).label, (nodePredictions[i]!.churn as { label: string }).label, 'the same as Node');
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
