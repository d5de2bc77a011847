import { createHash, type Hash } from 'node:crypto';
import type { ArrayDataset } from '../data/dataset.js';
import type { ExperimentData } from '../experiment/loadData.js';

/**
 * A fingerprint of the data a trial trains and is tested on: SHA-256 over the loaded
 * arrays of every split (features with their shape and scale, each task's labels,
 * widths and missing-label masks, in task-name order), as 16 hex digits. Two machines
 * that load an experiment's data source into the same numbers get the same
 * fingerprint, whatever the files look like on disk; a different file, version of a
 * data set or generator gives another one. The queue's workers compare theirs with the
 * coordinator's before training.
 */
export function dataFingerprint(data: ExperimentData): string {
  const hash = createHash('sha256');
  const splits: Array<[string, ArrayDataset | undefined]> = [
    ['train', data.train],
    ['validation', data.validation],
    ['test', data.test],
  ];
  for (const [name, split] of splits) {
    if (!split) continue;
    hash.update(`${name}:${split.features.shape.join('x')}:${split.features.data.constructor.name}:${split.features.scale ?? 1}\n`);
    update(hash, split.features.data);
    for (const task of Object.keys(split.targets).sort()) {
      const labels = split.targets[task]!;
      hash.update(`${task}:${labels.width}:${labels.mask ? 'mask' : 'full'}\n`);
      update(hash, labels.values);
      if (labels.mask) update(hash, labels.mask);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

function update(hash: Hash, array: ArrayBufferView): void {
  hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}
