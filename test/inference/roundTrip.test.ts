import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { customersCsv } from '../../examples/data/makeCustomers.js';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { loadCsvDataset, loadCsvSplits } from '../../src/data/csv.js';
import { evaluate } from '../../src/evaluation/evaluate.js';
import { loadMultiTaskModel, saveMultiTaskModel } from '../../src/io/multiTaskModelFiles.js';
import { createTask } from '../../src/tasks/createTask.js';
import { fit } from '../../src/training/fit.js';
import { Adam } from '../../src/training/optimizers/adam.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { equalWeighting } from '../../src/weighting/equal.js';
import type { WeightingMethod } from '../../src/weighting/method.js';

/**
 * Raw rows in, predictions out: a model trained from a CSV file with categorical and
 * missing features, saved with its preprocessing, predicts raw rows in a fresh process
 * (`mtl predict`) exactly as the in-memory model does, with class names and regression
 * values in their own units; the reloaded model evaluates as the in-memory one.
 */

const tmp = mkdtempSync(join(tmpdir(), 'mtl-roundtrip-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TARGETS = [
  { name: 'churn', kind: 'binary' as const, columns: ['churned'] },
  { name: 'segment', kind: 'multiclass' as const, columns: ['segment'] },
  { name: 'spend', kind: 'regression' as const, columns: ['annual_spend'] },
];
const FEATURES = ['age', 'income', 'plan', 'region', 'tenure_months', 'support_calls'];

/** Rows to predict: new customers, with missing cells (empty, NA), an unknown region and numbers as text. */
const NEW_ROWS = [
  'customer_id;age;income;plan;region;tenure_months;support_calls',
  'N1;35;52.5;pro;north;12;0',
  'N2;NA;;basic;;3;6',
  'N3;61;30.1;;atlantis;70;1',
  'N4;28;88;plus;west;1;2',
].join('\n');

const close = (a: number, b: number, tolerance: number, what: string) => assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b}`);

test('a trained tabular model predicts raw rows in a fresh process (mtl predict) as the in-memory model does', { timeout: 300_000 }, async () => {
  const trainPath = join(tmp, 'customers.csv');
  writeFileSync(trainPath, customersCsv(600, 5));
  const split = loadCsvSplits(trainPath, { features: FEATURES, targets: TARGETS, standardize: true, missingIndicators: true, testFraction: 0.25, seed: 0, stream: false });
  const pre = split.preprocessor;
  assert.deepEqual(pre.features.map((f) => `${f.column}:${f.kind}`), ['age:numeric', 'income:numeric', 'plan:categorical', 'region:categorical', 'tenure_months:numeric', 'support_calls:numeric']);
  // Tasks as the experiment runner builds them: the spend learns standardised targets.
  installSeededRandom(0);
  const tasks = [
    createTask({ name: 'churn', kind: 'binary' }),
    createTask({ name: 'segment', kind: 'multiclass', classes: 3 }),
    createTask({ name: 'spend', kind: 'regression', targetScaling: pre.targets[2]!.scaling! }),
  ];
  const model = hardSharing({ tasks, inputShape: split.train.inputShape, encoder: { type: 'mlp', hidden: [16] } });
  const optimizer = new Adam();
  await fit({ model, train: split.train, method: equalWeighting as WeightingMethod<unknown, unknown>, methodOptions: {}, optimizer, learningRate: 0.01, epochs: 4, batchSize: 32, seed: 0, progress: false, log: () => {} });
  const dir = join(tmp, 'model');
  const description = await saveMultiTaskModel(model, dir, { inputShape: split.train.inputShape, preprocessing: pre });
  assert.deepEqual(description.tasks.map((t) => [t.name, t.activation, t.outputNames]), [
    ['churn', 'sigmoid', ['no', 'yes']],
    ['segment', 'softmax', ['budget', 'premium', 'standard']],
    ['spend', 'identity', ['annual_spend']],
  ]);

  // The in-memory model on the raw rows: encoded by the data pipeline with the fitted preprocessing.
  const newPath = join(tmp, 'new.csv');
  writeFileSync(newPath, NEW_ROWS + '\n');
  const encoded = loadCsvDataset(newPath, { features: FEATURES, targets: [], preprocessor: pre }).dataset;
  const x = tf.tensor(encoded.features.data as Float32Array, [encoded.size, ...encoded.inputShape]);
  const expected = tf.tidy(() => {
    const out = model.forward(x, false);
    return Object.fromEntries(tasks.map((t) => [t.name, Array.from(t.activate(out[t.name]!).dataSync())]));
  });
  x.dispose();

  // A fresh process: the CLI reads the raw rows with the saved preprocessing.
  const outPath = join(tmp, 'predictions.csv');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'predict', dir, newPath, '--out', outPath, '--keep', 'customer_id'], {
    encoding: 'utf8',
    env: { ...process.env, MTL_BACKEND: 'cpu' },
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /predicted 4 rows/);
  const [header, ...lines] = readFileSync(outPath, 'utf8').trim().split('\n');
  assert.equal(header, 'row,customer_id,churn,churn_probability,segment,segment_p_budget,segment_p_premium,segment_p_standard,spend');
  const rows = lines.map((l) => l.split(','));
  assert.deepEqual(rows.map((c) => [c[0], c[1]]), [['2', 'N1'], ['3', 'N2'], ['4', 'N3'], ['5', 'N4']]);
  rows.forEach((c, i) => {
    const p = expected.churn![i]!;
    close(Number(c[3]), p, 1e-5, `row ${i} churn probability`);
    assert.equal(c[2], p >= 0.5 ? 'yes' : 'no', `row ${i} churn class name`);
    const probs = expected.segment!.slice(i * 3, i * 3 + 3);
    probs.forEach((q, k) => close(Number(c[5 + k]), q, 1e-5, `row ${i} segment p${k}`));
    assert.equal(c[4], ['budget', 'premium', 'standard'][probs.indexOf(Math.max(...probs))], `row ${i} segment class name`);
    const spend = expected.spend![i]!;
    close(Number(c[8]), spend, Math.abs(spend) * 1e-5, `row ${i} spend`);
    // In the target's units: thousands, like the training targets (mean about 5,000).
    assert.ok(spend > 1000 && spend < 12000, `row ${i} spend ${spend} is in the target's units`);
  });

  // The reloaded model in this process: the same predictions (predictRows) and the same evaluation.
  const names = NEW_ROWS.split('\n')[0]!.split(';');
  const records = NEW_ROWS.split('\n').slice(1).map((l) => Object.fromEntries(l.split(';').map((v, k) => [names[k]!, v])));
  const loaded = await loadMultiTaskModel(dir);
  const predictions = loaded.predictRows(records);
  predictions.forEach((p, i) => {
    close((p.churn as { probability: number }).probability, expected.churn![i]!, 1e-6, `predictRows churn ${i}`);
    close((p.spend as { value: number }).value, expected.spend![i]!, Math.abs(expected.spend![i]!) * 1e-6, `predictRows spend ${i}`);
  });
  const inMemory = evaluate(model, split.test);
  const reloaded = evaluate(loaded, split.test);
  for (const t of ['churn', 'segment', 'spend']) {
    for (const [m, v] of Object.entries(inMemory[t]!.metrics)) close(reloaded[t]!.metrics[m]!, v, Math.abs(v) * 1e-5, `evaluate ${t}/${m}`);
  }
  loaded.model.dispose();
  optimizer.dispose();
  model.model.dispose();
});

test('mtl predict names what is wrong with the input: a missing column, a bad cell with its row, an existing output, a model without preprocessing', { timeout: 300_000 }, async () => {
  const trainPath = join(tmp, 'small.csv');
  writeFileSync(trainPath, customersCsv(120, 6));
  const split = loadCsvSplits(trainPath, { features: FEATURES, targets: TARGETS.slice(0, 1), testFraction: 0.2, seed: 0, stream: false });
  installSeededRandom(1);
  const model = hardSharing({ tasks: [createTask({ name: 'churn', kind: 'binary' })], inputShape: split.train.inputShape, encoder: { type: 'mlp', hidden: [4] } });
  const dir = join(tmp, 'small-model');
  await saveMultiTaskModel(model, dir, { inputShape: split.train.inputShape, preprocessing: split.preprocessor });
  const bare = join(tmp, 'bare-model');
  await saveMultiTaskModel(model, bare, { inputShape: split.train.inputShape });
  model.model.dispose();
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'predict', ...args], { encoding: 'utf8', env: { ...process.env, MTL_BACKEND: 'cpu' } });
  const file = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  const noIncome = cli([dir, file('a.csv', 'age;plan;region;tenure_months;support_calls;incme\n30;pro;north;3;1;40\n')]);
  assert.equal(noIncome.status, 1, noIncome.stderr);
  assert.match(noIncome.stderr, /error \[data\.csv_missing_columns\] .*a\.csv: header/);
  assert.match(noIncome.stderr, /found: +no "income" in/);
  assert.match(noIncome.stderr, /did you mean "incme"\?/);
  const badCell = cli([dir, file('b.csv', 'age;income;plan;region;tenure_months;support_calls\n30;40;pro;north;3;1\n31;forty;pro;north;3;1\n')]);
  assert.equal(badCell.status, 1, badCell.stderr);
  assert.match(badCell.stderr, /error \[data\.bad_feature\] .*b\.csv: row 3, column "income"/);
  assert.match(badCell.stderr, /fix: +correct the value, or add it to naValues/);
  const out = file('exists.csv', 'keep me\n');
  const exists = cli([dir, file('c.csv', 'age;income;plan;region;tenure_months;support_calls\n30;40;pro;north;3;1\n'), '--out', out]);
  assert.equal(exists.status, 1, exists.stderr);
  assert.match(exists.stderr, /error \[io\.exists\]/);
  assert.equal(readFileSync(out, 'utf8'), 'keep me\n', 'an existing file is left alone');
  const noPre = cli([bare, join(tmp, 'c.csv')]);
  assert.equal(noPre.status, 1, noPre.stderr);
  assert.match(noPre.stderr, /error \[model\.no_preprocessing\]/);
  // To standard output without --out: only CSV there (the backend line goes to standard error).
  const stdout = cli([dir, join(tmp, 'c.csv')]);
  assert.equal(stdout.status, 0, stdout.stderr);
  assert.match(stdout.stdout, /^row,churn,churn_probability\n2,(yes|no),[\d.e-]+\n$/);
  assert.match(stdout.stderr, /^backend: /);
});
