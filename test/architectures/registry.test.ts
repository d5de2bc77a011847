import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildEncoder, type EncoderSpec } from '../../src/architectures/encoders.js';
import { ARCHITECTURES, buildArchitecture } from '../../src/architectures/registry.js';
import { MtlError } from '../../src/errors.js';
import { resolveAdaShareSchedule } from '../../src/training/adashareTraining.js';
import { installSeededRandom } from '../../src/random/seededRandom.js';
import { threeTasks } from './helpers.js';

const isError = (code: string, path: string, found?: RegExp) => (e: unknown) =>
  e instanceof MtlError && e.code === code && e.path === path && (!found || found.test(e.found)) && e.message.includes(path);

test('every architecture builds by name and predicts every task in one call', () => {
  installSeededRandom(30);
  const tasks = threeTasks();
  const x = tf.randomNormal([5, 6]);
  for (const name of ARCHITECTURES) {
    const m = buildArchitecture(name, { tasks, inputShape: [6], encoder: { type: 'mlp', hidden: [8, 8] } });
    assert.equal(m.architecture, name);
    const out = m.model.predict(x) as tf.Tensor[];
    assert.deepEqual(out.map((o) => o.shape), [[5, 1], [5, 2], [5, 3]], name);
    tf.dispose(out);
    assert.ok(m.parameterCount() > 0);
    if ('dispose' in m && typeof m.dispose === 'function') (m.dispose as () => void)();
    else m.model.dispose();
  }
  x.dispose();
});

test('architecture errors name the option, what was expected, what was found and a fix', () => {
  const tasks = threeTasks();
  const encoder: EncoderSpec = { type: 'mlp', hidden: [4] };
  const args = { tasks, inputShape: [6], encoder };
  assert.throws(() => buildArchitecture('cross-stich', args), (e: unknown) => isError('model.unknown_architecture', 'model.architecture')(e) && /cross-stitch/.test((e as MtlError).fix ?? ''));
  assert.throws(() => buildArchitecture('mmoe', { ...args, options: { expert: 3 } }), (e: unknown) => isError('model.unknown_option', 'model.options.expert')(e) && /experts/.test((e as MtlError).fix ?? ''));
  assert.throws(() => buildArchitecture('mmoe', { ...args, options: { experts: 0 } }), isError('model.bad_option', 'model.options.experts', /0/));
  assert.throws(() => buildArchitecture('soft-sharing', { ...args, options: { strength: -1 } }), isError('model.bad_option', 'model.options.strength'));
  assert.throws(() => buildArchitecture('cross-stitch', { ...args, options: { selfWeight: 2 } }), isError('model.bad_option', 'model.options.selfWeight'));
  assert.throws(() => buildArchitecture('ple', { ...args, options: { levels: 3 } }), isError('model.bad_option', 'model.options.levels'));
  assert.throws(() => buildArchitecture('hard-sharing', { ...args, options: { strength: 1 } }), isError('model.unknown_option', 'model.options.strength'));
  assert.throws(() => buildArchitecture('adashare', { ...args, options: { temperature: 0 } }), isError('model.bad_option', 'model.options.temperature'));
  assert.throws(() => buildArchitecture('adashare', { ...args, options: { searchEpochs: 1.5 } }), isError('model.bad_option', 'model.options.searchEpochs'));
  assert.throws(() => buildArchitecture('adashare', { ...args, inputShape: [28, 28, 1], encoder: { type: 'lenet' } }), isError('model.bad_encoder', 'model.encoder.type'));
  const ready = buildEncoder(encoder, [6]);
  assert.throws(() => buildArchitecture('mmoe', { ...args, encoder: ready }), isError('model.bad_encoder', 'model.encoder', /ready tfjs model/));
  ready.dispose();
  // User stages that close over one layer would share it between the towers.
  const dense = tf.layers.dense({ units: 4 });
  const stages = { stages: [(x: tf.SymbolicTensor) => dense.apply(x) as tf.SymbolicTensor] };
  assert.throws(() => buildArchitecture('soft-sharing', { ...args, encoder: stages }), isError('model.bad_encoder', 'model.encoder.stages'));
});

test('user stages that build their layers on each call make independent towers', () => {
  installSeededRandom(31);
  const tasks = threeTasks();
  const stages = { stages: [(x: tf.SymbolicTensor) => tf.layers.dense({ units: 4, activation: 'relu' }).apply(x) as tf.SymbolicTensor] };
  const m = buildArchitecture('cross-stitch', { tasks, inputShape: [6], encoder: stages });
  assert.equal(m.sharedVariables.length, 3 * 2 + 1, 'three towers of one dense layer, one stitch matrix');
  m.model.dispose();
});

test('the AdaShare schedule options have the documented defaults', () => {
  assert.deepEqual(resolveAdaShareSchedule({ temperature: 3 }), {
    warmupEpochs: 5, searchEpochs: 20, policyLearningRate: 0.01, temperatureDecay: 0.965,
    curriculumSpeed: 3, policySelection: 'argmax', retrainFromScratch: true, retrainEpochs: 0,
  });
  assert.throws(() => resolveAdaShareSchedule({ policySelection: 'best' }), isError('model.bad_option', 'model.options.policySelection'));
});
