import { createHash } from 'node:crypto';
import type { Overrides } from './overrides.js';
import { hasShortName } from './shortFieldNames.js';

/** The longest trial id before it is shortened (with a hash suffix). */
const MAX_LENGTH = 100;

/** A value written as it is in a folder name: letters, digits, `.`, `_`, `-`, not starting with `.` and without `__` (the pair separator). */
const PLAIN = /^(?!\.)(?!.*__)[A-Za-z0-9._-]+$/;

/**
 * How a field is named in a trial id: its last segment for the fields of the fixed table
 * `SHORT_FIELD_NAMES` (src/trials/shortFieldNames.ts: `weighting.method` → `method`, `training.epochs` → `epochs`,
 * `data.trainSize` → `trainSize`), else the whole path (`model.encoder.type`,
 * `weighting.options.momentum`, `grouping.budget`, any field added to the schema later).
 * The table is fixed so that the names of finished sweeps' folders never change.
 */
export function shortKey(key: string): string {
  return key.includes('.') && hasShortName(key) ? key.split('.').at(-1)! : key;
}

/** Overrides as canonical JSON (keys sorted), for hashing and comparing. */
export function canonicalOverrides(overrides: Overrides): string {
  return JSON.stringify(sortKeys(overrides));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** A short hash of a text (8 hex digits of SHA-256). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * A trial's id, also the name of its run folder under the sweep folder: its overrides
 * as `key-value` pairs joined by `__`, sorted by key with the seed last, e.g.
 * `{ 'weighting.method': 'pcgrad', seed: 1 }` → `method-pcgrad__seed-1`; no overrides
 * → `base`. Readable, safe as a file name on every system, and stable (it depends on
 * the trial's overrides only, never on the other trials). Where the pairs cannot be
 * written as they are (a value with other characters, an object, a name over 100
 * characters), a readable approximation is followed by `__` and 8 hex digits of the
 * overrides' hash, so distinct overrides never share an id.
 */
export function trialId(overrides: Overrides): string {
  const keys = Object.keys(overrides).sort((a, b) => {
    if ((a === 'seed') !== (b === 'seed')) return a === 'seed' ? 1 : -1;
    const sa = shortKey(a);
    const sb = shortKey(b);
    return sa < sb ? -1 : sa > sb ? 1 : a < b ? -1 : 1;
  });
  if (keys.length === 0) return 'base';
  let exact = true;
  const pairs = keys.map((key) => {
    const { text, lossless } = valueText(overrides[key]);
    exact &&= lossless;
    return `${shortKey(key)}-${text}`;
  });
  let id = pairs.join('__');
  if (!exact || id.length > MAX_LENGTH) {
    const hash = shortHash(canonicalOverrides(overrides));
    id = `${id.slice(0, MAX_LENGTH - 10).replace(/[._-]+$/, '')}__${hash}`;
  }
  return id;
}

/** A value as folder-name text, and whether that text is the value itself (nothing lost). */
function valueText(value: unknown): { text: string; lossless: boolean } {
  if (value === null) return { text: 'none', lossless: true };
  if (typeof value === 'number' || typeof value === 'boolean') return { text: String(value), lossless: true };
  if (typeof value === 'string') {
    return PLAIN.test(value) && !isAmbiguousText(value) ? { text: value, lossless: true } : { text: sanitize(value), lossless: false };
  }
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    // All numbers, or all plain names (a task subset): joined by "+", which no plain text holds.
    const numbers = value.every((v) => typeof v === 'number');
    const names = value.every((v) => typeof v === 'string' && PLAIN.test(v) && !isAmbiguousText(v));
    return { text: value.map((v) => sanitize(String(v))).join('+'), lossless: numbers || names };
  }
  return { text: sanitize(JSON.stringify(value)), lossless: false };
}

/** Text that would read like null, a boolean or a number ("none", "true", "1"). */
function isAmbiguousText(text: string): boolean {
  return text === 'none' || text === 'true' || text === 'false' || /^[-+0-9.eE]+$/.test(text);
}

function sanitize(text: string): string {
  const s = text.replace(/[^A-Za-z0-9._+-]+/g, '_').replace(/_{2,}/g, '_').replace(/^[._]+/, '');
  return s.length > 0 ? s.slice(0, 40) : 'x';
}
