import type { ArrayDataset } from '../../src/data/dataset.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MtlError } from '../../src/errors.js';
import { readExperiment, validateExperiment } from '../../src/experiment/config.js';
import { loadExperimentData } from '../../src/experiment/loadData.js';
import { buildWeighting } from '../../src/experiment/buildExperiment.js';

const base = () => ({
  name: 'exp',
  data: { source: 'multimnist', trainSize: 64, testSize: 32 },
  tasks: [
    { name: 'left', kind: 'multiclass', classes: 10 },
    { name: 'right', kind: 'multiclass', classes: 10 },
  ],
  model: { encoder: { type: 'lenet' } },
  training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.001 } },
});

function expectError(fn: () => unknown, check: { code: string; path: RegExp; expected?: RegExp; found?: RegExp; fix?: RegExp }) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MtlError, `not an MtlError: ${String(e)}`);
    assert.equal(e.code, check.code, e.message);
    assert.match(e.path, check.path);
    if (check.expected) assert.match(e.expected, check.expected);
    if (check.found) assert.match(e.found, check.found);
    if (check.fix) assert.match(e.fix ?? '', check.fix);
    return true;
  });
}

test('a valid experiment gets its defaults', () => {
  const c = validateExperiment(base());
  assert.equal(c.seed, 0);
  assert.equal(c.weighting.method, 'equal');
  assert.equal(c.model.architecture, 'hard-sharing');
  assert.equal(c.baselines, false);
});

test('an unknown key names the field, the known keys and the closest one', () => {
  const cfg = { ...base(), training: { ...base().training, epoch: 3 } };
  expectError(() => validateExperiment(cfg), {
    code: 'config.unknown_key', path: /training\.epoch$/, expected: /epochs/, found: /"epoch"/, fix: /did you mean "epochs"/,
  });
});

test('a task kind that does not exist', () => {
  const cfg = base();
  (cfg.tasks[1] as { kind: string }).kind = 'multi-class';
  expectError(() => validateExperiment(cfg), {
    code: 'config.unknown_task_kind', path: /tasks\[1\]\.kind/, expected: /"binary", "multiclass"/, found: /"multi-class"/, fix: /did you mean "multiclass"/,
  });
});

test('a missing required field and a wrong type', () => {
  const cfg: Record<string, unknown> = base();
  delete cfg.training;
  expectError(() => validateExperiment(cfg), { code: 'config.missing_field', path: /training$/, found: /missing/ });
  const bad = base();
  (bad.training as { batchSize: unknown }).batchSize = '32';
  expectError(() => validateExperiment(bad), { code: 'config.bad_type', path: /training\.batchSize/, expected: /number/, found: /string "32"/ });
});

test('a head width that does not match the number of classes', () => {
  const cfg = base();
  cfg.tasks[0]!.classes = 12;
  expectError(() => loadExperimentData(validateExperiment(cfg)), {
    code: 'config.head_width_mismatch', path: /tasks\[0\]\.classes/, expected: /^10 /, found: /12/, fix: /classes: 10/,
  });
});

test('an unknown weighting method fails before training, with a hint', () => {
  const cfg = { ...base(), weighting: { method: 'equa' } };
  expectError(() => buildWeighting(validateExperiment(cfg), ['left', 'right']), {
    code: 'weighting.unknown_method', path: /weighting\.method/, found: /"equa"/, fix: /did you mean "equal"/,
  });
});

test('CSV experiments: a label column not in the file, a stray cell in a numeric column, missing columns field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-cfg-'));
  try {
    const csv = join(dir, 'd.csv');
    writeFileSync(csv, 'x1,x2,y,z\n1,2,0,1.5\n3,4,1,\n5,6,0,2.5\n7,8,1,3\n9,10,0,1\n');
    const cfg = (tasks: unknown) => ({
      name: 'csv', data: { source: 'csv', path: csv, features: ['x1', 'x2'], testFraction: 0.4 },
      tasks, model: { encoder: { type: 'mlp', hidden: [4] } },
      training: { epochs: 1, batchSize: 2, optimizer: { type: 'sgd', learningRate: 0.1 } },
    });
    const ok = loadExperimentData(validateExperiment(cfg([
      { name: 'y', kind: 'binary', columns: ['y'] }, { name: 'z', kind: 'regression', columns: ['z'] },
    ])));
    assert.equal(ok.train.size + ok.test.size, 5);
    assert.equal(ok.train.labelCounts().z! + ok.test.labelCounts().z!, 4, 'the empty cell is a missing label');
    expectError(() => loadExperimentData(validateExperiment(cfg([{ name: 'y', kind: 'binary', columns: ['label'] }]))), {
      code: 'data.csv_unknown_column', path: /tasks\[0\]\.columns/, found: /"label"/,
    });
    expectError(() => validateExperiment(cfg([{ name: 'y', kind: 'binary' }])), {
      code: 'config.missing_field', path: /tasks\[0\]\.columns/, fix: /columns/,
    });
    // NaN is a missing value (imputed); a word among numbers is a mistake, named with its row.
    writeFileSync(csv, 'x1,x2,y\n1,NaN,0\n3,4,1\n5,oops,0\n7,8,1\n9,10,0\n');
    expectError(() => loadExperimentData(validateExperiment(cfg([{ name: 'y', kind: 'binary', columns: ['y'] }]))), {
      code: 'data.bad_feature', path: /row 4, column "x2"/, found: /oops/,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('experiment files: YAML syntax errors and missing files are reported with the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-cfg-'));
  try {
    const path = join(dir, 'e.yaml');
    writeFileSync(path, 'name: [unclosed\n');
    expectError(() => readExperiment(path), { code: 'config.syntax', path: /e\.yaml/, expected: /valid YAML/ });
    expectError(() => readExperiment(join(dir, 'none.yaml')), { code: 'config.missing_file', path: /none\.yaml/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every file in examples/ is a valid experiment', async () => {
  const { readdirSync } = await import('node:fs');
  const files = readdirSync('examples').filter((f) => /\.(ya?ml|json)$/.test(f));
  assert.ok(files.length >= 3);
  for (const f of files) readExperiment(join('examples', f));
});

test('synthetic-mmoe data: sinusoidParams reaches the generator, and a wrong value is named', async () => {
  const mmoe = (data: Record<string, unknown>) => ({
    name: 'mmoe',
    data: { source: 'synthetic-mmoe', correlation: 0.5, trainSize: 8, testSize: 4, ...data },
    tasks: ['task0', 'task1'].map((name) => ({ name, kind: 'regression' })),
    model: { encoder: { type: 'mlp', hidden: [4] } },
    training: { epochs: 1, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.001 } },
  });
  const normal = await loadExperimentData(validateExperiment(mmoe({})));
  const fixed = await loadExperimentData(validateExperiment(mmoe({ sinusoidParams: 'fixed' })));
  const [fixedTrain, normalTrain] = [fixed.train as ArrayDataset, normal.train as ArrayDataset];
  assert.deepEqual(fixedTrain.features.data, normalTrain.features.data);
  assert.notDeepEqual(fixedTrain.targets.task0!.values, normalTrain.targets.task0!.values);
  expectError(() => validateExperiment(mmoe({ sinusoidParams: 'gaussian' })), { code: 'config.bad_value', path: /data\.sinusoidParams/, found: /gaussian/ });
});
