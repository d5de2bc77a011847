import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../../src/random/random.js';
import { installSeededRandom, seededRandomState, uninstallSeededRandom, withSeededRandom } from '../../src/random/seededRandom.js';
import { runExperiment } from '../../src/experiment/runExperiment.js';
import { validateExperiment } from '../../src/experiment/config.js';
import { scratch, tinyCsvExperiment } from '../reliability/helpers.js';

/** withSeededRandom: the seeded stream inside, Math.random as it was outside, whatever fn does. */

const draws = (n: number) => Array.from({ length: n }, () => Math.random());

test('inside, Math.random is the seeded stream installSeededRandom gives; after, the previous Math.random is back', () => {
  uninstallSeededRandom();
  const platform = Math.random;
  const expected = (() => {
    const r = new Random(42);
    return Array.from({ length: 5 }, () => r.next());
  })();
  const inside = withSeededRandom(42, (random) => {
    assert.ok(random instanceof Random);
    return draws(5);
  });
  assert.deepEqual(inside, expected);
  assert.equal(Math.random, platform);
  assert.equal(seededRandomState(), undefined);
});

test('Math.random is restored when fn throws, and after a promise resolves or rejects (not before it settles)', async () => {
  uninstallSeededRandom();
  const platform = Math.random;
  assert.throws(() => withSeededRandom(1, () => { throw new Error('boom'); }), /boom/);
  assert.equal(Math.random, platform);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const pending = withSeededRandom(2, async () => {
    await gate;
    return draws(2);
  });
  assert.notEqual(Math.random, platform, 'still seeded while fn runs');
  release();
  assert.deepEqual(await pending, (() => { const r = new Random(2); return [r.next(), r.next()]; })());
  assert.equal(Math.random, platform);
  await assert.rejects(withSeededRandom(3, async () => { throw new Error('async boom'); }), /async boom/);
  assert.equal(Math.random, platform);
});

test('scopes nest, and an outer process-wide generator continues where it was', () => {
  installSeededRandom(5);
  const outer = Math.random;
  const first = Math.random();
  const nested = withSeededRandom(6, () => [Math.random(), withSeededRandom(7, () => Math.random()), Math.random()]);
  const r6 = new Random(6);
  assert.deepEqual(nested, [r6.next(), new Random(7).next(), r6.next()]);
  assert.equal(Math.random, outer);
  const r5 = new Random(5);
  assert.deepEqual([first, Math.random()], [r5.next(), r5.next()]);
  uninstallSeededRandom();
});

test('runExperiment leaves Math.random as it found it (the library scopes its seed)', async () => {
  uninstallSeededRandom();
  const platform = Math.random;
  const work = scratch('mtl-scope-');
  try {
    const config = validateExperiment(tinyCsvExperiment(work.dir, { training: { epochs: 1 } }));
    await runExperiment(config, { runDir: `${work.dir}/run`, progress: false, log: () => {} });
    assert.equal(Math.random, platform);
    assert.equal(seededRandomState(), undefined);
  } finally {
    work.cleanup();
  }
});
