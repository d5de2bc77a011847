import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaShare } from '../../src/architectures/adashare.js';
import { BATCH_NORM_MOMENTUM, batchNormLayers } from '../../src/architectures/batchNorm.js';
import { hardSharing } from '../../src/architectures/hardSharing.js';
import { mtan } from '../../src/architectures/mtan.js';
import type { MultiTaskModel } from '../../src/architectures/multiTaskModel.js';
import { threeTasks } from './helpers.js';

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
