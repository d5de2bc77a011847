import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadCsvDataset, loadCsvSplits } from '../../src/data/csv.js';
import { ArrayDataset } from '../../src/data/dataset.js';
import { chooseHeldOut, trainTestSplit } from '../../src/data/split.js';
import { MtlError } from '../../src/errors.js';
import { RunningMoments } from '../../src/preprocessing/runningMoments.js';
import { Random } from '../../src/random/random.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtl-split-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('chooseHeldOut: exact stratum shares by largest remainder, seeded and reproducible', () => {
  // 10 rows: stratum 0 ×6, stratum 1 ×3, stratum 2 ×1; hold out 30% = 3 rows.
  const strata = Int32Array.from([0, 0, 1, 0, 2, 1, 0, 0, 1, 0]);
  const rows = Int32Array.from({ length: 10 }, (_, i) => i);
  const held = chooseHeldOut(rows, strata, 0.3, new Random('s'), 'f');
  // Shares 1.8, 0.9, 0.3: floors 1, 0, 0, then the remainders 0.9 and 0.8 win: 2 from stratum 0, 1 from stratum 1.
  const count = (s: number) => [...held].filter((i) => strata[i] === s).length;
  assert.deepEqual([count(0), count(1), count(2)], [2, 1, 0]);
  assert.deepEqual([...held], [...held].sort((a, b) => a - b));
  assert.deepEqual(chooseHeldOut(rows, strata, 0.3, new Random('s'), 'f'), held, 'same seed, same rows');
  assert.equal(chooseHeldOut(rows, null, 0.25, new Random(1), 'f').length, 3, 'round(2.5) = 3 without strata');
  assert.throws(() => chooseHeldOut(rows, null, 0.01, new Random(1), 'data: testFraction'), (e: unknown) => e instanceof MtlError && e.code === 'config.bad_split' && e.path === 'data: testFraction');
});

test('trainTestSplit stratifies by the classification tasks: every class keeps its share of the test part', () => {
  const n = 200;
  const cls = new Float32Array(n);
  const mask = new Uint8Array(n).fill(1);
  for (let i = 0; i < n; i++) cls[i] = i < 20 ? 2 : i % 2; // class 2 is rare: 20 of 200
  for (let i = 0; i < n; i += 10) mask[i] = 0; // 20 missing labels
  const data = new ArrayDataset(
    { data: Float32Array.from({ length: n }, (_, i) => i), shape: [n, 1] },
    { c: { values: cls, width: 1, mask, kind: 'multiclass' }, r: { values: new Float32Array(n), width: 1, kind: 'regression' } },
    'd',
  );
  const { train, test } = trainTestSplit(data, { testFraction: 0.2, seed: 5 });
  assert.equal(test.size, 40);
  assert.equal(train.size, 160);
  const classesOf = (d: ArrayDataset) => {
    const t = d.targets.c!;
    const counts: Record<string, number> = {};
    for (let i = 0; i < d.size; i++) {
      const k = t.mask![i] ? String(t.values[i]) : 'missing';
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  };
  // Strata (label or missing): class 2 ×18, missing ×20, class 0 ×81, class 1 ×81 → 20% of each.
  const whole = classesOf(data);
  const held = classesOf(test);
  for (const [k, c] of Object.entries(whole)) assert.ok(Math.abs(held[k]! - 0.2 * c) < 1, `${k}: ${held[k]} of ${c}`);
  // Every example is in exactly one part, in its original order.
  const ids = [...(train.features.data as Float32Array), ...(test.features.data as Float32Array)].sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: n }, (_, i) => i));
  assert.equal(test.targets.c!.kind, 'multiclass', 'subsets keep the task kind');
  assert.deepEqual(trainTestSplit(data, { testFraction: 0.2, seed: 5 }).test.features.data, test.features.data, 'reproducible');
  assert.throws(() => trainTestSplit(data, { testFraction: 0.2, seed: 5, stratifyBy: 'r' }), (e: unknown) => e instanceof MtlError && e.code === 'data.bad_stratify');
  assert.throws(() => trainTestSplit(data, { testFraction: 0.2, seed: 5, stratifyBy: 'x' }), (e: unknown) => e instanceof MtlError && e.code === 'data.unknown_task');
});

/** A CSV file with numeric and categorical features, a binary, a multiclass and a regression target. */
function writeData(path: string, n: number, seed = 1): void {
  const r = new Random(seed);
  const lines = ['x,u,color,churn,segment,spend'];
  for (let i = 0; i < n; i++) {
    const x = r.normal() * 10 + 50;
    const u = r.next() < 0.1 ? 'NA' : (r.next() * 4).toFixed(3);
    const color = ['red', 'green', 'blue'][r.int(3)]!;
    const churn = r.next() < 0.15 ? '' : r.next() < 0.3 ? 'yes' : 'no';
    const segment = ['a', 'b', 'c', 'd'][r.int(4)]!;
    const spend = (3000 + 40 * x + 500 * r.normal()).toFixed(2);
    lines.push([x.toFixed(4), u, color, churn, segment, spend].join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

const TARGETS = [
  { name: 'churn', kind: 'binary' as const, columns: ['churn'] },
  { name: 'segment', kind: 'multiclass' as const, columns: ['segment'] },
  { name: 'spend', kind: 'regression' as const, columns: ['spend'] },
];

test('leak test: loadCsvSplits fits the scalers and imputation on the training rows alone', () => {
  const path = join(tmp, 'leak.csv');
  writeData(path, 400);
  const args = { features: ['x', 'u', 'color'], targets: TARGETS, testFraction: 0.25, validationFraction: 0.2, seed: 3, stream: false as const };
  const split = loadCsvSplits(path, { ...args, standardize: true });
  assert.equal(split.streaming, false);
  assert.deepEqual([split.train.size, split.validation!.size, split.test.size], [240, 60, 100]);
  assert.deepEqual(split.featureNames, ['x', 'u', 'color=blue', 'color=green', 'color=red']);
  // The same split without standardisation: the training rows' raw values (the split does not depend on it).
  const raw = loadCsvSplits(path, { ...args, standardize: false, missingIndicators: true });
  const train = raw.train as ArrayDataset;
  const width = raw.featureNames.length;
  assert.deepEqual(raw.featureNames.slice(0, 3), ['x', 'u', 'u:missing']);
  const x = new RunningMoments();
  const u = new RunningMoments();
  const data = train.features.data as Float32Array;
  for (let i = 0; i < train.size; i++) {
    x.add(data[i * width]!);
    if (data[i * width + 2] === 0) u.add(data[i * width + 1]!);
  }
  const whole = new RunningMoments();
  const all = loadCsvDataset(path, { features: ['x'], targets: TARGETS }).dataset.features.data as Float32Array;
  for (const v of all) whole.add(v);
  const [fx, fu] = split.preprocessor.features as Array<{ scaling: { mean: number; std: number }; imputation: { value: number } }>;
  // The fitted statistics are the training rows' (to the float32 precision of the stored values), not the whole file's.
  assert.ok(Math.abs(fx!.scaling.mean - x.mean) < 1e-4, `fitted mean ${fx!.scaling.mean} vs training rows ${x.mean}`);
  assert.ok(Math.abs(fx!.scaling.std - x.std) < 1e-4, `fitted std ${fx!.scaling.std} vs training rows ${x.std}`);
  assert.ok(Math.abs(fx!.scaling.mean - whole.mean) > 1e-2, `the whole file's mean ${whole.mean} differs from the training rows' ${x.mean}`);
  assert.ok(Math.abs(fu!.imputation.value - u.mean) < 1e-4, `imputed with the training rows' mean: ${fu!.imputation.value} vs ${u.mean}`);
  assert.ok(u.count < train.size - 5, `some u cells of the training rows are missing (${train.size - u.count})`);
  // The regression target's scaling is the labelled training targets' (targets are stored raw, in their units).
  const spend = train.targets.spend!;
  const m = new RunningMoments();
  for (let i = 0; i < train.size; i++) m.add(spend.values[i]!);
  const scaling = split.preprocessor.targets[2]!.scaling!;
  assert.ok(Math.abs(scaling.mean[0]! - m.mean) < 1e-2 && Math.abs(scaling.std[0]! - m.std) < 1e-2, `${JSON.stringify(scaling)} vs ${m.mean}, ${m.std}`);
});

test('loadCsvSplits stratifies by the classification tasks and reads a separate test file with the training preprocessing', () => {
  const path = join(tmp, 'strat.csv');
  const testPath = join(tmp, 'strat-test.csv');
  writeData(path, 300, 2);
  writeData(testPath, 50, 9);
  const split = loadCsvSplits(path, { features: 'rest', targets: TARGETS, testFraction: 0.2, seed: 0, stream: false });
  const whole = loadCsvDataset(path, { features: 'rest', targets: TARGETS }).dataset;
  const joint = (d: ArrayDataset) => {
    const c: Record<string, number> = {};
    const ch = d.targets.churn!;
    const sg = d.targets.segment!;
    for (let i = 0; i < d.size; i++) {
      const k = `${ch.mask && !ch.mask[i] ? '-' : ch.values[i]}|${sg.values[i]}`;
      c[k] = (c[k] ?? 0) + 1;
    }
    return c;
  };
  const all = joint(whole);
  const held = joint(split.test as ArrayDataset);
  assert.equal(split.test.size, 60);
  for (const [k, c] of Object.entries(all)) assert.ok(Math.abs((held[k] ?? 0) - 0.2 * c) < 1, `stratum ${k}: ${held[k]} of ${c}`);
  const withTest = loadCsvSplits(path, { features: 'rest', targets: TARGETS, testPath, seed: 0, standardize: true, stream: false });
  assert.equal(withTest.train.size, 300);
  assert.equal(withTest.test.size, 50);
  const fitted = loadCsvDataset(path, { features: 'rest', targets: TARGETS, standardize: true }).preprocessor;
  assert.deepEqual(withTest.preprocessor, fitted, 'fitted on the training file only');
});
