import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { disposeBatch } from '../../src/data/dataset.js';
import { imageClassificationDataset, loadMnistDigits, loadMnistIdx, selectImages } from '../../src/data/mnist.js';
import { MtlError } from '../../src/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtl-mnist-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function idx(shape: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + body.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * shape.length);
  return out;
}

test('loadMnistDigits holds the 10,000 npm digits in class order, as round(v·255) bytes', () => {
  const digits = loadMnistDigits();
  assert.equal(digits.count, 10000);
  assert.equal(digits.height, 28);
  assert.equal(digits.width, 28);
  assert.equal(digits.images.length, 10000 * 784);
  const counts = new Array<number>(10).fill(0);
  for (const l of digits.labels) counts[l]!++;
  assert.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  for (let i = 1; i < digits.count; i++) assert.ok(digits.labels[i]! >= digits.labels[i - 1]!, 'labels ascend');

  // Compare two images with the package's own JSON: the first 3 and the last 9.
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const threes = (JSON.parse(readFileSync(join(dir, '3.json'), 'utf8')) as { data: number[] }).data;
  const firstThree = counts.slice(0, 3).reduce((a, b) => a + b, 0);
  assert.equal(digits.labels[firstThree], 3);
  assert.deepEqual(
    Array.from(digits.images.subarray(firstThree * 784, (firstThree + 1) * 784)),
    threes.slice(0, 784).map((v) => Math.round(v * 255)),
  );
  const nines = (JSON.parse(readFileSync(join(dir, '9.json'), 'utf8')) as { data: number[] }).data;
  assert.deepEqual(
    Array.from(digits.images.subarray(9999 * 784)),
    nines.slice(nines.length - 784).map((v) => Math.round(v * 255)),
  );
  // 0.624 → 159, a value seen in the first zero.
  assert.ok(digits.images.subarray(0, 784).includes(159));
  assert.equal(loadMnistDigits(), digits, 'cached in-process');
});

test('selectImages copies the chosen images and labels in order', () => {
  const digits = loadMnistDigits();
  const sub = selectImages(digits, [9999, 0]);
  assert.equal(sub.count, 2);
  assert.deepEqual(Array.from(sub.labels), [9, 0]);
  assert.deepEqual(Array.from(sub.images.subarray(0, 784)), Array.from(digits.images.subarray(9999 * 784)));
  assert.deepEqual(Array.from(sub.images.subarray(784)), Array.from(digits.images.subarray(0, 784)));
  assert.throws(() => selectImages(digits, [10000]), (e: unknown) => e instanceof MtlError && e.code === 'data.index_out_of_range');
});

test('imageClassificationDataset batches images scaled to [0, 1] with class labels, leaking no tensors', () => {
  const digits = loadMnistDigits();
  const sub = selectImages(digits, [0, 5000, 9999]);
  const ds = imageClassificationDataset(sub, 'digit');
  assert.deepEqual(ds.inputShape, [28, 28, 1]);
  assert.deepEqual(ds.taskNames, ['digit']);
  const before = tf.memory().numTensors;
  for (const batch of ds.batches({ batchSize: 3 })) {
    assert.deepEqual(batch.x.shape, [3, 28, 28, 1]);
    const x = batch.x.dataSync();
    for (let k = 0; k < 784; k++) assert.ok(Math.abs(x[784 * 2 + k]! - sub.images[784 * 2 + k]! / 255) < 1e-6);
    assert.deepEqual(Array.from(batch.labels.digit!.dataSync()), [sub.labels[0], sub.labels[1], 9]);
    disposeBatch(batch);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('loadMnistIdx reads the four standard files, gzipped or not, and caches per directory', () => {
  const dir = join(tmp, 'family');
  const mk = (name: string, data: Uint8Array, gz: boolean): void => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(data) : data);
  mkdirSync(dir);
  mk('train-images-idx3-ubyte', idx([2, 2, 2], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])), true);
  mk('train-labels-idx1-ubyte', idx([2], Uint8Array.from([3, 4])), false);
  mk('t10k-images-idx3-ubyte', idx([1, 2, 2], Uint8Array.from([9, 9, 9, 9])), false);
  mk('t10k-labels-idx1-ubyte', idx([1], Uint8Array.from([7])), true);
  const { train, test: testSet } = loadMnistIdx(dir);
  assert.equal(train.count, 2);
  assert.deepEqual(Array.from(train.images), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(train.labels), [3, 4]);
  assert.deepEqual(Array.from(testSet.images), [9, 9, 9, 9]);
  assert.deepEqual(Array.from(testSet.labels), [7]);
  assert.equal(loadMnistIdx(dir).train, train);
});

test('loadMnistIdx names the missing files and what the directory holds', () => {
  const dir = join(tmp, 'partial');
  mkdirSync(dir);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([1, 1, 1], Uint8Array.from([0]))));
  writeFileSync(join(dir, 'notes.txt'), 'x');
  assert.throws(
    () => loadMnistIdx(dir),
    (e: unknown) =>
      e instanceof MtlError &&
      e.code === 'data.idx_missing' &&
      e.message.includes('train-labels-idx1-ubyte[.gz]') &&
      e.message.includes('t10k-images-idx3-ubyte[.gz]') &&
      !e.message.includes('missing: train-images') &&
      e.message.includes('notes.txt'),
  );
  assert.throws(() => loadMnistIdx(join(tmp, 'absent')), (e: unknown) => e instanceof MtlError && e.message.includes('no such directory'));
});
