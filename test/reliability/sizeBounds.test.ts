/**
 * Sizes are bounded: the memory an experiment needs is estimated from its config before
 * anything is allocated, and one that cannot fit (or holds an array larger than a
 * tensor can index) is refused naming the field, fast, and without creating its run
 * folder. The estimate's parameter count is checked against the models it describes.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildModel, buildTasks } from '../../src/experiment/buildExperiment.js';
import { validateExperiment, type ExperimentConfig } from '../../src/experiment/config.js';
import { checkInferenceMemory, checkMemory, estimateMemory, inputShapeOf, memoryLimit } from '../../src/experiment/memoryEstimate.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { hashTree, isMtlError, scratch, tinyCsvExperiment } from './helpers.js';

let work: { dir: string; cleanup: () => void };
before(() => (work = scratch('mtl-size-')));
after(() => work.cleanup());

const synthetic = (extra: { data?: Record<string, unknown>; model?: Record<string, unknown>; training?: Record<string, unknown>; tasks?: unknown[] } = {}) =>
  validateExperiment({
    name: 'big',
    data: { source: 'synthetic-mmoe', correlation: 0.5, trainSize: 64, testSize: 32, ...(extra.data ?? {}) },
    tasks: extra.tasks ?? [
      { name: 'task0', kind: 'regression' },
      { name: 'task1', kind: 'regression' },
    ],
    model: { encoder: { type: 'mlp', hidden: [16] }, ...(extra.model ?? {}) },
    training: { epochs: 1, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 }, ...(extra.training ?? {}) },
  });

test('a corpus of oversized experiments: each refused before any allocation, naming the field', () => {
  const corpus: Array<[string, ExperimentConfig, RegExp]> = [
    ['hidden 1e9', synthetic({ model: { encoder: { type: 'mlp', hidden: [1e9] } } }), /model\.encoder\.hidden\[0\]$/],
    ['two wide layers', synthetic({ model: { encoder: { type: 'mlp', hidden: [16, 200000, 200000] } } }), /model\.encoder\.hidden\[2\]$/],
    ['trainSize 1e9', synthetic({ data: { trainSize: 1e9 } }), /data\.trainSize$/],
    ['testSize 1e10', synthetic({ data: { testSize: 1e10 } }), /data\.testSize$/],
    ['classes 1e10', synthetic({ tasks: [{ name: 'task0', kind: 'regression' }, { name: 'task1', kind: 'regression', outputs: 1e10 }] }), /tasks\[1\]\.outputs$/],
    ['head 1e9', synthetic({ tasks: [{ name: 'task0', kind: 'regression', head: { hidden: [1e9] } }, { name: 'task1', kind: 'regression' }] }), /tasks\[0\]\.head\.hidden\[0\]$/],
    ['experts 1e9', synthetic({ model: { architecture: 'mmoe', encoder: { type: 'mlp', hidden: [16] }, options: { experts: 1e9 } } }), /model\.options\.experts$/],
    ['batch 1e12', synthetic({ model: { encoder: { type: 'mlp', hidden: [64] } }, training: { batchSize: 1e12 } }), /training\.batchSize$/],
    ['resnet width 1e5', validateExperiment({ ...synthetic(), data: { source: 'multimnist', trainSize: 64, testSize: 32 }, tasks: [{ name: 'left', kind: 'multiclass', classes: 10 }, { name: 'right', kind: 'multiclass', classes: 10 }], model: { encoder: { type: 'resnet', width: 100000 } } }), /model\.encoder\.width$/],
  ];
  // (Each would need terabytes, or an array beyond 2^31 elements: had anything been allocated first, the test would die.)
  for (const [name, config, field] of corpus) {
    assert.throws(() => checkMemory(config), isMtlError('config.too_large', { path: field, fix: /^lower / }), name);
  }
});

test('mtl train on an oversized experiment is refused before its run folder exists', async () => {
  const before = hashTree(work.dir);
  const run = (config: ExperimentConfig) => runExperiment(config, { runDir: join(work.dir, 'runs', 'big'), progress: false, log: () => {} });
  await assert.rejects(run(synthetic({ data: { trainSize: 1e9 } })), isMtlError('config.too_large', { path: /data\.trainSize$/, expected: /arrays of at most/ }));
  const saved = process.env.MTL_MEMORY_LIMIT;
  process.env.MTL_MEMORY_LIMIT = '1G';
  try {
    await assert.rejects(
      run(synthetic({ data: { trainSize: 1e7 } })),
      isMtlError('config.too_large', { path: /^big: data\.trainSize$/, expected: /fits in 1\.0 GiB \(MTL_MEMORY_LIMIT=1G\)/, found: /about 7\.\d GiB needed, 7\.\d GiB of it for 1\.00e7 training examples/ }),
    );
  } finally {
    if (saved === undefined) delete process.env.MTL_MEMORY_LIMIT;
    else process.env.MTL_MEMORY_LIMIT = saved;
  }
  assert.equal(hashTree(work.dir), before);
  assert.deepEqual(readdirSync(work.dir), []);
});

test('MTL_MEMORY_LIMIT caps the estimate; a bad value is a coded error', () => {
  const config = synthetic();
  const saved = process.env.MTL_MEMORY_LIMIT;
  try {
    process.env.MTL_MEMORY_LIMIT = '100K';
    assert.deepEqual(memoryLimit(), { bytes: 100 * 2 ** 10, source: 'MTL_MEMORY_LIMIT=100K' });
    assert.throws(() => checkMemory(config), isMtlError('config.too_large', { fix: /raise MTL_MEMORY_LIMIT/ }));
    process.env.MTL_MEMORY_LIMIT = '64G';
    assert.doesNotThrow(() => checkMemory(config));
    process.env.MTL_MEMORY_LIMIT = 'lots';
    assert.throws(() => checkMemory(config), isMtlError('config.bad_environment', { path: /MTL_MEMORY_LIMIT/ }));
  } finally {
    if (saved === undefined) delete process.env.MTL_MEMORY_LIMIT;
    else process.env.MTL_MEMORY_LIMIT = saved;
  }
});

test('bench inference: --batch 1e9 is refused naming --batch; a normal batch passes', () => {
  const config = synthetic();
  assert.throws(() => checkInferenceMemory(config, [100], 1e9), isMtlError('config.too_large', { path: /^--batch$/ }));
  assert.throws(() => checkInferenceMemory(config, [100], 5e7), isMtlError('config.too_large', { path: /^--batch$/ }));
  assert.doesNotThrow(() => checkInferenceMemory(config, [100], 256));
});

test('the estimate counts the parameters the model has: exact for hard sharing (MLP, LeNet, ResNet), a lower bound within 25% for the others', () => {
  const { dir, cleanup } = scratch();
  try {
    const image = { data: { source: 'multimnist', trainSize: 8, testSize: 8 }, tasks: [{ name: 'left', kind: 'multiclass', classes: 10, head: { hidden: [7] } }, { name: 'right', kind: 'multiclass', classes: 10 }] };
    const cases: Array<[string, ExperimentConfig, 'exact' | 'lower']> = [
      ['mlp', validateExperiment({ ...tinyCsvExperiment(dir), model: { encoder: { type: 'mlp', hidden: [9, 5] } } }), 'exact'],
      ['lenet', validateExperiment({ ...synthetic(), ...image, model: { encoder: { type: 'lenet' } } }), 'exact'],
      ['resnet', validateExperiment({ ...synthetic(), ...image, model: { encoder: { type: 'resnet', width: 8, stages: 2, blocksPerStage: 2 } } }), 'exact'],
      ['cross-stitch', validateExperiment({ ...synthetic(), model: { architecture: 'cross-stitch', encoder: { type: 'mlp', hidden: [16, 8] } } }), 'lower'],
      ['mmoe', validateExperiment({ ...synthetic(), model: { architecture: 'mmoe', encoder: { type: 'mlp', hidden: [16] }, options: { experts: 3 } } }), 'lower'],
      ['ple', validateExperiment({ ...synthetic(), model: { architecture: 'ple', encoder: { type: 'mlp', hidden: [16, 8] } } }), 'lower'],
    ];
    for (const [name, config, kind] of cases) {
      const shape = inputShapeOf(config)!;
      installSeededRandom(0);
      const model = buildModel(config, buildTasks(config), shape);
      const real = model.parameterCount();
      model.model.dispose();
      const estimated = estimateMemory(config, shape).parameters;
      if (kind === 'exact') assert.equal(estimated, real, name);
      else assert.ok(estimated <= real && estimated >= 0.75 * real, `${name}: estimated ${estimated}, real ${real}`);
    }
  } finally {
    cleanup();
  }
});
