import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { disposeBatch } from '../../src/data/dataset.js';
import { FASHION_MNIST_DEBIAN_DIR } from '../../src/data/fashionMnist.js';
import type { ImageSet } from '../../src/data/idx.js';
import { loadMnistDigits, selectImages } from '../../src/data/mnist.js';
import { multiMnist, multiMnistSplits, overlayPair } from '../../src/data/multiMnist.js';
import { MtlError } from '../../src/errors.js';
import { Random } from '../../src/random/random.js';

const fashionInstalled = existsSync(`${FASHION_MNIST_DEBIAN_DIR}/train-images-idx3-ubyte.gz`);

function imageSet(images: number[][], labels: number[], side: number): ImageSet {
  return {
    images: Uint8Array.from(images.flat()),
    labels: Uint8Array.from(labels),
    count: images.length,
    height: side,
    width: side,
    source: 'hand-made',
  };
}

/** The construction written out literally: a 36×36 canvas, then nearest resize. */
function reference(a: Uint8Array, b: Uint8Array): number[] {
  const canvas = Array.from({ length: 36 }, () => new Array<number>(36).fill(0));
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) canvas[y]![x] = a[y * 28 + x]!;
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) canvas[y + 6]![x + 6] = Math.max(canvas[y + 6]![x + 6]!, b[y * 28 + x]!);
  const out: number[] = [];
  for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) out.push(canvas[Math.floor((r * 36) / 28)]![Math.floor((c * 36) / 28)]!);
  return out;
}

test('overlayPair on 4×4 images, 6×6 canvas, offset 2: every output pixel by hand', () => {
  const a = Uint8Array.from({ length: 16 }, (_, k) => k + 1); // A(y, x) = 4y + x + 1
  const b = Uint8Array.from({ length: 16 }, (_, k) => k + 101); // B(y, x) = 4y + x + 101
  // Output (r, c) reads canvas (floor(1.5r), floor(1.5c)): rows and columns 0, 1, 3, 4.
  // Canvas row 3 = A row 3, and B row 1 from column 2; canvas row 4 = B row 2 only.
  const expected = [
    1, 2, 4, 0, // canvas row 0: A(0,0), A(0,1), A(0,3), nothing at column 4
    5, 6, 8, 0, // canvas row 1
    13, 14, 106, 107, // canvas row 3: A(3,0), A(3,1), max(A(3,3)=16, B(1,1)=106), B(1,2)
    0, 0, 110, 111, // canvas row 4: only B(2,1), B(2,2)
  ];
  assert.deepEqual(Array.from(overlayPair(a, b, 4, 4, { canvasSize: 6, offset: 2 })), expected);
});

test('overlayPair on 28×28: the default 36/6 geometry, overlap by max and dropped rows', () => {
  const a = new Uint8Array(784);
  const b = new Uint8Array(784);
  a[0] = 200; // canvas (0,0) → output (0,0)
  a[27 * 28 + 27] = 77; // canvas (27,27) → output (21,21) since floor(21·36/28) = 27
  b[0] = 100; // canvas (6,6) → output (5,5) since floor(5·36/28) = 6
  b[27 * 28 + 27] = 99; // canvas (33,33) → output (26,26) since floor(26·36/28) = 33
  a[10 * 28 + 10] = 50; // canvas (10,10), where B(4,4) = 120 lands too → max 120 at output (8,8)
  b[4 * 28 + 4] = 120;
  a[4 * 28 + 4] = 255; // canvas (4,4): row 4 is never read (floor(3·36/28) = 3, floor(4·36/28) = 5)
  const out = overlayPair(a, b, 28, 28);
  const at = (r: number, c: number): number => out[r * 28 + c]!;
  assert.equal(at(0, 0), 200);
  assert.equal(at(21, 21), 77);
  assert.equal(at(5, 5), 100);
  assert.equal(at(26, 26), 99);
  assert.equal(at(8, 8), 120);
  let sum = 0;
  for (const v of out) sum += v;
  assert.equal(sum, 200 + 77 + 100 + 99 + 120, 'nothing else is set; A(4,4) is dropped');
});

test('multiMnist matches the literal canvas construction on real digits, with B drawn as documented', () => {
  const digits = loadMnistDigits();
  const set = selectImages(digits, Array.from({ length: 40 }, (_, i) => i * 250));
  const ds = multiMnist(set, set, { random: 7 });
  assert.equal(ds.size, 40);
  assert.deepEqual(ds.features.shape, [40, 28, 28, 1]);
  assert.equal(ds.features.scale, 1 / 255);
  assert.ok(ds.features.data instanceof Uint8Array);
  const random = new Random(7);
  for (let i = 0; i < 40; i++) {
    let j = random.int(39);
    if (j >= i) j++;
    const got: number[] = Array.from((ds.features.data as Uint8Array).subarray(i * 784, (i + 1) * 784));
    assert.deepEqual(got, reference(set.images.subarray(i * 784, (i + 1) * 784), set.images.subarray(j * 784, (j + 1) * 784)));
    assert.equal(ds.targets.left!.values[i], set.labels[i]);
    assert.equal(ds.targets.right!.values[i], set.labels[j]);
  }
});

test('with two images in one set, each is paired with the other whatever the seed', () => {
  const a = Array.from({ length: 784 }, (_, k) => (k % 28 < 14 ? 10 : 0));
  const b = Array.from({ length: 784 }, (_, k) => (k < 392 ? 20 : 0));
  const set = imageSet([a, b], [3, 8], 28);
  for (const seed of [0, 1, 2]) {
    const ds = multiMnist(set, undefined, { random: seed });
    assert.deepEqual(Array.from(ds.targets.left!.values), [3, 8]);
    assert.deepEqual(Array.from(ds.targets.right!.values), [8, 3]);
    assert.deepEqual(Array.from(ds.features.data.subarray(0, 784)), reference(Uint8Array.from(a), Uint8Array.from(b)));
    assert.deepEqual(Array.from(ds.features.data.subarray(784)), reference(Uint8Array.from(b), Uint8Array.from(a)));
  }
});

test('B is never A itself, and a second set supplies B and the right labels', () => {
  const blank = new Array<number>(784).fill(0);
  const same = imageSet([blank, blank, blank], [0, 1, 2], 28);
  const ds = multiMnist(same, same, { random: 3 });
  for (let i = 0; i < 3; i++) assert.notEqual(ds.targets.left!.values[i], ds.targets.right!.values[i]);
  const other = imageSet([blank.map(() => 9)], [5], 28);
  const mixed = multiMnist(same, other, { random: 3, count: 2, taskNames: ['digit', 'item'] });
  assert.deepEqual(mixed.taskNames, ['digit', 'item']);
  assert.deepEqual(Array.from(mixed.targets.item!.values), [5, 5]);
  assert.deepEqual(Array.from(mixed.targets.digit!.values), [0, 1]);
  // B (all 9) covers output rows/cols whose canvas index is in [6, 34).
  assert.equal(mixed.features.data[0], 0);
  assert.equal(mixed.features.data[5 * 28 + 5], 9);
  assert.equal(mixed.features.data[27 * 28 + 27], 0, 'canvas (34, 34) is outside B');
});

test('multiMnist is reproducible from its seed and changes with it', () => {
  const set = selectImages(loadMnistDigits(), Array.from({ length: 200 }, (_, i) => i * 50));
  const x = multiMnist(set, set, { random: 11 });
  const y = multiMnist(set, set, { random: new Random(11) });
  const z = multiMnist(set, set, { random: 12 });
  assert.deepEqual(x.features.data, y.features.data);
  assert.deepEqual(x.targets.right!.values, y.targets.right!.values);
  assert.notDeepEqual(x.targets.right!.values, z.targets.right!.values);
});

test('multiMnist batches give [0, 1] floats and leak no tensors', () => {
  const set = selectImages(loadMnistDigits(), [0, 2000, 4000, 6000]);
  const ds = multiMnist(set, set, { random: 0 });
  const before = tf.memory().numTensors;
  for (const batch of ds.batches({ batchSize: 4 })) {
    assert.deepEqual(batch.x.shape, [4, 28, 28, 1]);
    const x = batch.x.dataSync();
    for (let k = 0; k < x.length; k += 37) assert.ok(Math.abs(x[k]! - ds.features.data[k]! / 255) < 1e-6);
    assert.deepEqual(Array.from(batch.labels.left!.dataSync()), Array.from(ds.targets.left!.values));
    disposeBatch(batch);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('multiMnist rejects mismatched image sizes, a bad count and a canvas too small', () => {
  const small = imageSet([[1, 2, 3, 4]], [0], 2);
  const big = imageSet([new Array<number>(784).fill(0), new Array<number>(784).fill(0)], [0, 1], 28);
  const isCode = (code: string) => (e: unknown) => e instanceof MtlError && e.code === code;
  assert.throws(() => multiMnist(big, small, { random: 0 }), isCode('data.multimnist_sizes'));
  assert.throws(() => multiMnist(big, big, { random: 0, count: 3 }), isCode('data.multimnist_sizes'));
  assert.throws(() => multiMnist(small, small, { random: 0 }), isCode('data.multimnist_sizes'));
  assert.throws(() => multiMnist(big, big, { random: 0, canvasSize: 30 }), isCode('data.multimnist_geometry'));
});

test('multiMnistSplits(mnist) splits the 10,000 digits 8,000 / 2,000 by seed, A running over each split once', () => {
  const { train, test: testSet } = multiMnistSplits({ source: 'mnist', seed: 5 });
  assert.equal(train.size, 8000);
  assert.equal(testSet.size, 2000);
  const counts = new Array<number>(10).fill(0);
  for (const v of train.targets.left!.values) counts[v]!++;
  for (const v of testSet.targets.left!.values) counts[v]!++;
  assert.deepEqual(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  const again = multiMnistSplits({ source: 'mnist', seed: 5, trainSize: 100 });
  assert.equal(again.train.size, 100);
  assert.deepEqual(again.train.features.data, train.features.data.subarray(0, 100 * 784), 'a smaller train set is a prefix');
  assert.deepEqual(again.test.features.data, testSet.features.data, 'trainSize leaves the test set alone');
  const other = multiMnistSplits({ source: 'mnist', seed: 6, testSize: 10 });
  assert.notDeepEqual(other.test.targets.left!.values, testSet.targets.left!.values.subarray(0, 10));
});

test('multiMnistSplits builds MultiFashion and Multi-(Fashion+MNIST)', { skip: !fashionInstalled && 'dataset-fashion-mnist not installed' }, () => {
  const fashion = multiMnistSplits({ source: 'fashion', seed: 1, trainSize: 300, testSize: 100 });
  assert.equal(fashion.train.size, 300);
  assert.equal(fashion.test.size, 100);
  assert.deepEqual(fashion.train.inputShape, [28, 28, 1]);
  assert.equal(fashion.train.targets.left!.values[0], 9, 'the first Fashion-MNIST training image is an ankle boot');
  const mixed = multiMnistSplits({ source: 'fashion+mnist', seed: 1, testSize: 50 });
  assert.equal(mixed.train.size, 8000, 'one example per MNIST training digit');
  assert.equal(mixed.test.size, 50);
  assert.ok(mixed.train.source.includes('Multi-(Fashion+MNIST)'));
  assert.throws(
    () => multiMnistSplits({ source: 'fashion+mnist', seed: 1, trainSize: 9000 }),
    (e: unknown) => e instanceof MtlError && e.code === 'data.multimnist_sizes' && e.message.includes('[1, 8000]'),
  );
});
