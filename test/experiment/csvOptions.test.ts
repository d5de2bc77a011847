import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ArrayDataset } from '../../src/data/dataset.js';
import { MtlError } from '../../src/errors.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { loadExperimentData } from '../../src/experiment/loadData.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtl-csvopts-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const experiment = (data: Record<string, unknown>, tasks: unknown[] = [{ name: 'y', kind: 'binary', columns: ['y'] }]) => ({
  name: 'opts',
  data: { source: 'csv', ...data },
  tasks,
  model: { encoder: { type: 'mlp', hidden: [4] } },
  training: { epochs: 1, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 } },
});

test('the CSV options of an experiment reach the loader: delimiter, naValues, categorical, imputation, indicators, stratification', () => {
  const path = join(tmp, 'd.tsv');
  const rows = ['code\tx\ty'];
  for (let i = 0; i < 20; i++) rows.push(`${i % 3}\t${i % 5 === 0 ? '?' : i}\t${i % 2 ? 'yes' : 'no'}`);
  writeFileSync(path, rows.join('\n') + '\n');
  const data = loadExperimentData(
    validateExperiment(
      experiment({ path, delimiter: 'tab', naValues: ['?'], categorical: ['code'], impute: { numbers: 'median' }, missingIndicators: true, stratify: ['y'], testFraction: 0.25 }),
    ),
  );
  const pre = data.preprocessor!;
  assert.deepEqual(pre.features.map((f) => `${f.column}:${f.kind}`), ['code:categorical', 'x:numeric']);
  assert.equal(pre.features[1]!.kind === 'numeric' && pre.features[1]!.imputation.strategy, 'median');
  assert.equal(pre.features[1]!.missingIndicator, true);
  assert.equal(data.test.size, 5);
  // Stratified by y: 10 yes and 10 no give 2 or 3 of each in the test part.
  const y = (data.test as ArrayDataset).targets.y!.values;
  const yes = Array.from(y).filter((v) => v === 1).length;
  assert.ok(yes === 2 || yes === 3, `test part: ${yes} yes of 5`);
});

test('bad CSV options are named before any data is read', () => {
  const bad = (data: Record<string, unknown>, code: string, fragment: RegExp) =>
    assert.throws(() => validateExperiment(experiment({ path: 'x.csv', ...data }), 'e.yaml'), (e: unknown) => e instanceof MtlError && e.code === code && fragment.test(e.message));
  bad({ impute: { numbers: 'mode' } }, 'config.bad_value', /data\.impute\.numbers/);
  bad({ delimiter: '|' }, 'config.bad_value', /data\.delimiter/);
  bad({ standardize: { feature: true } }, 'config.unknown_key', /did you mean "features"/);
  bad({ strem: true }, 'config.unknown_key', /did you mean "stream"/);
  assert.throws(
    () => validateExperiment(experiment({ path: 'x.csv' }, [{ name: 'y', kind: 'binary', columns: ['y'], deltaMetrics: 'auc' }])),
    (e: unknown) => e instanceof MtlError && e.code === 'config.bad_type' && /tasks\[0\]\.deltaMetrics/.test(e.message),
  );
});
