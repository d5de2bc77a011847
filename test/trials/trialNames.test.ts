import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtlError } from '../../src/errors.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { parseOverrideText } from '../../src/trials/overrides.js';
import { defineTrial } from '../../src/trials/trial.js';
import { schemaFieldPaths } from '../../src/trials/schemaPaths.js';
import { hasShortName, SHORT_FIELD_NAMES } from '../../src/trials/shortFieldNames.js';
import { shortKey, trialId } from '../../src/trials/trialId.js';

test('the folder names of typical trials are pinned: they never change, so finished sweeps are read again', () => {
  // Written by sweeps before the short names became a fixed table; a finished sweep is found by these names.
  const pinned: Array<[Record<string, unknown>, string]> = [
    [{ 'weighting.method': 'pcgrad', seed: 1 }, 'method-pcgrad__seed-1'],
    [{ 'model.architecture': 'mmoe', seed: 0 }, 'architecture-mmoe__seed-0'],
    [{ seed: 0, 'training.epochs': 10, 'model.architecture': 'mmoe', 'weighting.method': 'db-mtl' }, 'architecture-mmoe__epochs-10__method-db-mtl__seed-0'],
    [{ tasks: ['left', 'right'], seed: 2 }, 'tasks-left+right__seed-2'],
    [{ 'training.optimizer.learningRate': 0.0005, seed: 3 }, 'learningRate-0.0005__seed-3'],
    [{ 'data.trainSize': 1000, 'data.validationFraction': 0.1 }, 'trainSize-1000__validationFraction-0.1'],
    [{ 'model.encoder.type': 'resnet', 'weighting.method': 'uw' }, 'method-uw__model.encoder.type-resnet'],
    [{ 'model.encoder.hidden': [64, 32], 'weighting.gradientMode': 'features' }, 'gradientMode-features__model.encoder.hidden-64+32'],
    [{ 'tasks.left.head.dropout': 0.5, 'tasks.left.classes': 10 }, 'classes-10__tasks.left.head.dropout-0.5'],
    [{ 'weighting.options.momentum': 0.9 }, 'weighting.options.momentum-0.9'],
  ];
  for (const [overrides, id] of pinned) assert.equal(trialId(overrides), id, JSON.stringify(overrides));
});

test('short names come from a fixed table, not from the rest of the schema: blocks that are not trial fields never rename a folder', () => {
  // grouping.method / grouping.seed once made `method` and `seed` ambiguous in the whole
  // schema and renamed `method-pcgrad` to `weighting.method-pcgrad`; the table cannot.
  assert.equal(shortKey('weighting.method'), 'method');
  assert.equal(shortKey('data.validationFraction'), 'validationFraction');
  assert.equal(shortKey('seed'), 'seed');
  // Fields of the grouping and sweep blocks, and anything not in the table, keep their path.
  assert.equal(shortKey('grouping.budget'), 'grouping.budget');
  assert.equal(shortKey('grouping.searchSeed'), 'grouping.searchSeed');
  assert.equal(shortKey('sweep.seeds'), 'sweep.seeds');
  assert.equal(shortKey('training.someFieldAddedLater'), 'training.someFieldAddedLater');
  // A table entry matches its own path only: a record key with the same last segment is not it.
  assert.equal(shortKey('weighting.options.epochs'), 'weighting.options.epochs');
  assert.equal(shortKey('model.options.method'), 'model.options.method');
  // One task's field, by name or index.
  assert.equal(shortKey('tasks.left.kind'), 'kind');
  assert.equal(shortKey('tasks.0.kind'), 'kind');
  assert.equal(hasShortName('tasks.left.head.dropout'), false);
});

test('the table of short names agrees with the schema: every entry is a field, no two share a name, none is a block\'s own name', () => {
  const paths = new Set(schemaFieldPaths());
  const topLevel = new Set([...paths].filter((p) => !p.includes('.')));
  const names = new Map<string, string>();
  for (const entry of SHORT_FIELD_NAMES) {
    assert.ok(paths.has(entry), `${entry} is a field of the experiment schema (a renamed field must not leave its entry behind)`);
    assert.ok(!/^(sweep|grouping|overrides)\./.test(entry), `${entry}: blocks that are not trial fields are not in the table`);
    const short = entry.split('.').at(-1)!;
    assert.ok(!names.has(short), `${entry} and ${names.get(short)} would share the folder name ${short}`);
    assert.ok(!topLevel.has(short), `${entry}'s short name ${short} is also a top-level field`);
    names.set(short, entry);
  }
  // Fields whose last segment more than one trial field has stay out of the table.
  for (const ambiguous of ['model.encoder.type', 'training.optimizer.type', 'model.encoder.hidden', 'tasks.*.head.dropout', 'tasks.*.name']) {
    assert.ok(paths.has(ambiguous), ambiguous);
    assert.ok(!SHORT_FIELD_NAMES.includes(ambiguous), ambiguous);
  }
});

test('a grouping block added to the experiment changes no trial (name or config), and blocks no trial reads cannot be swept', () => {
  const base = {
    name: 'patients',
    seed: 3,
    data: { source: 'csv', path: 'examples/data/patients.csv', standardize: true, testFraction: 0.25 },
    tasks: [
      { name: 'readmitted', kind: 'binary', columns: ['readmitted'] },
      { name: 'stay', kind: 'regression', columns: ['length_of_stay'] },
    ],
    model: { encoder: { type: 'mlp', hidden: [8] } },
    training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.01 } },
    sweep: { set: { 'weighting.method': ['equal', 'pcgrad'] } },
  };
  const before = validateExperiment(base);
  const after = validateExperiment({ ...base, grouping: { search: 'tag', budget: 2, searchSeed: 4 } });
  for (const overrides of [{ 'weighting.method': 'pcgrad', seed: 1 }, { tasks: ['stay'] }, {}]) {
    const a = defineTrial(before, overrides);
    const b = defineTrial(after, overrides);
    assert.equal(b.id, a.id);
    // The config a finished trial's folder holds, compared as text when the sweep is run again.
    assert.equal(JSON.stringify(b.config), JSON.stringify(a.config));
    assert.equal('grouping' in b.config, false);
    assert.equal('sweep' in b.config, false);
  }
  for (const key of ['grouping.budget', 'sweep.seeds']) {
    assert.throws(
      () => parseOverrideText(after, key, '2'),
      (e: unknown) => e instanceof MtlError && e.code === 'config.not_a_trial_field' && e.path === `overrides["${key}"]` && /no trial reads/.test(e.found),
    );
    assert.throws(() => defineTrial(after, { [key]: 2 }), (e: unknown) => e instanceof MtlError && e.code === 'config.not_a_trial_field');
  }
});
