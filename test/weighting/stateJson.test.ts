import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MtlError } from '../../src/errors.js';
import { methodStateFromJson, methodStateToJson } from '../../src/weighting/stateJson.js';

const throughJson = (state: unknown) => methodStateFromJson(JSON.parse(JSON.stringify(methodStateToJson(state))));

test('stateJson: Float64Array and Float32Array rows survive JSON bit for bit, nested anywhere', () => {
  const awkward = [0, -0, 1 / 3, Number.MIN_VALUE, Number.MAX_VALUE, -1e-310, NaN, Infinity, -Infinity];
  const state = {
    step: 3,
    lambda: [0.25, 0.75],
    rows: [Float64Array.from(awkward), new Float64Array(0)],
    nested: { single: Float32Array.from([1.5, -2.25, 3e-39]), label: 'x', none: null },
  };
  const back = throughJson(state) as typeof state;
  assert.deepEqual(back, state);
  assert.ok(back.rows[0] instanceof Float64Array && back.nested.single instanceof Float32Array);
  const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length));
  assert.deepEqual(bits(back.rows[0]!), bits(state.rows[0]!), 'the same bits, −0 and NaN included');
});

test('stateJson: a typed array that is a view of a larger buffer encodes only its own elements', () => {
  const whole = Float64Array.from([1, 2, 3, 4, 5]);
  const view = whole.subarray(1, 3);
  assert.deepEqual(methodStateToJson(view), { $float64: Buffer.from(Float64Array.from([2, 3]).buffer).toString('base64') });
  assert.deepEqual(throughJson([view]), [Float64Array.from([2, 3])]);
});

test('stateJson: plain JSON state passes through unchanged both ways (old checkpoints with number rows still load)', () => {
  const plain = { step: 2, buffer: [[1, 2], [3, 4]], lambda: [0.5, 0.5], flag: true, name: 'moco', none: null };
  assert.deepEqual(methodStateToJson(plain), plain);
  assert.deepEqual(methodStateFromJson(plain), plain);
  assert.equal(methodStateToJson(null), null);
  // An object with other keys besides $float64 is ordinary data.
  assert.deepEqual(methodStateFromJson({ $float64: 'AAAAAAAA8D8=', other: 1 }), { $float64: 'AAAAAAAA8D8=', other: 1 });
});

test('stateJson: a damaged typed-array entry is a coded error naming its place', () => {
  const check = (json: unknown, path: RegExp) =>
    assert.throws(
      () => methodStateFromJson(json, 'state.json: methodState'),
      (e: unknown) => e instanceof MtlError && e.code === 'checkpoint.bad_method_state' && path.test(e.path) && /8-byte/.test(e.expected ?? ''),
    );
  check({ buffer: [{ $float64: 'AAAA' }] }, /methodState\.buffer\[0\]$/);
  check({ tracked: { $float64: 12 } }, /methodState\.tracked$/);
});

test('stateJson: the encoding is standard base64 without Node\'s Buffer (it runs in a page), the same as Buffer gives, across its 32 KiB chunks', () => {
  // 5000 float64s = 40000 bytes: more than one chunk of the encoder.
  const big = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 1e3);
  const encoded = methodStateToJson(big) as { $float64: string };
  assert.equal(encoded.$float64, Buffer.from(big.buffer).toString('base64'));
  assert.deepEqual(methodStateFromJson(encoded), big);
});

test('stateJson: text that is not base64 is refused (Buffer would have decoded it to some bytes)', () => {
  assert.throws(
    () => methodStateFromJson({ rows: { $float64: 'not base64!' } }),
    (e: unknown) => e instanceof MtlError && e.code === 'checkpoint.bad_method_state' && e.path === 'methodState.rows' && e.found === 'text that is not base64',
  );
});
