import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { adaShare } from '../../src/architectures/adashare.js';
import { BATCH_NORM_MOMENTUM } from '../../src/architectures/batchNorm.js';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { mtan } from '../../src/architectures/mtan.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { threeTasks } from './helpers.js';

/** Every BatchNormalization layer of a model, nested models included. */
function batchNormLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
  if (inner) return inner.flatMap(batchNormLayers);
  return layer.getClassName() === 'BatchNormalization' ? [layer] : [];
}

test('batch norm: every batch-norm layer of the architectures uses the library momentum 0.9 (PyTorch convention), not tfjs default 0.99', () => {
  assert.equal(BATCH_NORM_MOMENTUM, 0.9);
  const tasks = threeTasks();
  const models: Array<[string, MultiTaskModel]> = [
    ['hard sharing, resnet', hardSharing({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 2 } })],
    ['MTAN, resnet', mtan({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 2 } })],
    ['AdaShare, resnet', adaShare({ tasks, inputShape: [8, 8, 1], encoder: { type: 'resnet', width: 4, stages: 2 } })],
  ];
  for (const [name, m] of models) {
    const layers = batchNormLayers(m.model);
    assert.ok(layers.length >= 3, `${name}: found ${layers.length} batch-norm layers`);
    for (const l of layers) assert.equal(l.getConfig()['momentum'], 0.9, `${name}: ${l.name}`);
    m.model.dispose();
  }
});
