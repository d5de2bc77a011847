import { MtlError } from '../errors.js';

/**
 * A weighting method's state is a JSON value, with one allowance: a method whose state
 * holds T × d numbers (DB-MTL's gradient buffer, MoCo's tracked gradients, ExcessMTL's
 * AdaGrad accumulator) keeps those rows as Float64Array, since building d-long JS arrays
 * every step cost several times the rest of the method. These two functions carry such
 * state through JSON: every Float64Array or Float32Array becomes `{ "$float64": base64 }`
 * (`$float32`) of its little-endian bytes, and back, exactly (no rounding). A state
 * without typed arrays passes through unchanged, so checkpoints written before typed
 * state existed (plain number rows) still load, and the methods read either form.
 */
export function methodStateToJson(state: unknown): unknown {
  if (state instanceof Float64Array) return { $float64: bytesToBase64(state) };
  if (state instanceof Float32Array) return { $float32: bytesToBase64(state) };
  if (Array.isArray(state)) return state.map(methodStateToJson);
  if (state !== null && typeof state === 'object') {
    return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, methodStateToJson(v)]));
  }
  return state;
}

/** The inverse of {@link methodStateToJson}; a malformed typed-array entry is a coded error naming its place in the state. */
export function methodStateFromJson(json: unknown, path = 'methodState'): unknown {
  if (Array.isArray(json)) return json.map((v, i) => methodStateFromJson(v, `${path}[${i}]`));
  if (json !== null && typeof json === 'object') {
    const entries = Object.entries(json);
    if (entries.length === 1 && (entries[0]![0] === '$float64' || entries[0]![0] === '$float32')) {
      const [key, encoded] = entries[0]!;
      const bytesPerElement = key === '$float64' ? 8 : 4;
      const bytes = typeof encoded === 'string' ? base64ToBytes(encoded) : null;
      if (bytes === null || bytes.length % bytesPerElement !== 0) {
        throw new MtlError({
          code: 'checkpoint.bad_method_state',
          path,
          expected: `${key}: base64 of a whole number of ${bytesPerElement}-byte floats`,
          found: bytes === null ? (typeof encoded === 'string' ? 'text that is not base64' : typeof encoded) : `${bytes.length} bytes`,
          fix: 'the checkpoint was damaged; resume from an earlier copy or start the run again',
        });
      }
      return key === '$float64' ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, methodStateFromJson(v, `${path}.${k}`)]));
  }
  return json;
}

function bytesToBase64(values: Float64Array | Float32Array): string {
  if (!LITTLE_ENDIAN) throw new Error('methodStateToJson: big-endian hosts are not supported');
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  // btoa/atob exist in browsers and in Node, so checkpoints of method state work in both.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Standard base64 to a fresh (aligned) byte array; null for text that is not base64. */
function base64ToBytes(encoded: string): Uint8Array | null {
  let binary: string;
  try {
    binary = atob(encoded);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Check a method state read back from a checkpoint against the shape of a fresh state
 * of the same method (`method.init`): the same keys, the same kinds of value, arrays of
 * the same length where the fresh one is not empty (a fresh empty array may have grown,
 * a fresh `null` may have become anything). A damaged or foreign state (`{}`, a number
 * where an array belongs) is a coded error naming its place, not a TypeError inside the
 * method three steps later.
 *
 * @throws MtlError `checkpoint.bad_method_state`.
 */
export function checkMethodStateShape(saved: unknown, fresh: unknown, path = 'methodState'): void {
  const bad = (expected: string, found: string) =>
    new MtlError({ code: 'checkpoint.bad_method_state', path, expected, found, fix: 'the checkpoint is damaged or of another method: start the run again without --resume (--force)' });
  const kind = (v: unknown): string =>
    v === null ? 'null' : v instanceof Float64Array ? 'Float64Array' : v instanceof Float32Array ? 'Float32Array' : Array.isArray(v) ? 'array' : typeof v;
  if (fresh === null || fresh === undefined) return;
  const want = kind(fresh);
  const got = kind(saved);
  if (want !== got) throw bad(`${want === 'object' ? 'an object' : want === 'array' ? 'an array' : `a ${want}`} as the method keeps`, got === 'object' ? `an object with keys [${Object.keys(saved as object).join(', ')}]` : got);
  if (want === 'array' || want === 'Float64Array' || want === 'Float32Array') {
    const f = fresh as ArrayLike<unknown>;
    const s = saved as ArrayLike<unknown>;
    if (f.length > 0 && s.length !== f.length) throw bad(`${f.length} entries`, `${s.length}`);
    if (want === 'array' && f.length > 0) for (let i = 0; i < f.length; i++) checkMethodStateShape(s[i], f[i], `${path}[${i}]`);
    return;
  }
  if (want === 'object') {
    const f = fresh as Record<string, unknown>;
    const s = saved as Record<string, unknown>;
    for (const key of Object.keys(f)) {
      if (!(key in s)) throw bad(`the key "${key}"`, `an object with keys [${Object.keys(s).join(', ')}]`);
      checkMethodStateShape(s[key], f[key], `${path}.${key}`);
    }
  }
}
