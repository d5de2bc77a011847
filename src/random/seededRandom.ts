import { Random, type RandomState } from './random.js';

/**
 * TensorFlow.js draws every unseeded random number it needs (weight initialisers,
 * dropout masks, random ops) from a seed taken from `Math.random`. Installing a seeded
 * generator as `Math.random` therefore makes model building and training reproducible
 * from one seed, and saving its state makes a resumed run continue the same stream.
 */
let active: Random | null = null;
const original = Math.random;

/**
 * Route Math.random (and so tfjs's randomness) through a seeded generator, for the whole
 * process until {@link uninstallSeededRandom} (the `mtl` command's choice). A library
 * caller that wants its seed to reach only its own code uses {@link withSeededRandom}.
 */
export function installSeededRandom(seedOrState: number | RandomState): Random {
  active = new Random(seedOrState);
  const r = active;
  Math.random = () => r.next();
  return r;
}

/**
 * Run `fn` with Math.random drawing from a generator seeded with `seedOrState` (as
 * {@link installSeededRandom} does), then put back the Math.random (and seeded
 * generator) that was in place before, also when `fn` throws. When `fn` returns a
 * promise, the seeded generator stays in place until it settles: code that runs
 * meanwhile (other tasks of the event loop) draws from it too, so await such a call
 * before starting other random work. Scopes nest: a checkpoint resumed inside `fn`
 * installs its saved state, and the outer Math.random still comes back at the end.
 *
 * @example
 * const model = withSeededRandom(42, () => buildArchitecture('mmoe', { tasks, inputShape: [8] }));
 * const result = await withSeededRandom(42, async () => fit({ ... }));
 */
export function withSeededRandom<T>(seedOrState: number | RandomState, fn: (random: Random) => T): T {
  const previousActive = active;
  const previousRandom = Math.random;
  const restore = () => {
    active = previousActive;
    Math.random = previousRandom;
  };
  let result: T;
  try {
    result = fn(installSeededRandom(seedOrState));
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** Put back the platform's Math.random. */
export function uninstallSeededRandom(): void {
  active = null;
  Math.random = original;
}

/** State of the installed generator, for checkpoints; undefined when none is installed. */
export function seededRandomState(): RandomState | undefined {
  return active?.state();
}

/**
 * Remember the generator's position so a computation can be replayed with the same
 * random draws (the same dropout masks in a repeated forward pass).
 */
export function snapshotRandom(): { restore(): void; replay<T>(fn: () => T): T } {
  const saved = active?.state();
  const restore = () => {
    if (saved && active) {
      const r = new Random(saved);
      active = r;
      Math.random = () => r.next();
    }
  };
  return {
    restore,
    /** Run `fn` with the draws from the snapshot, then continue the stream where it was before the call. */
    replay<T>(fn: () => T): T {
      const current = active?.state();
      restore();
      try {
        return fn();
      } finally {
        if (current && active) {
          const r = new Random(current);
          active = r;
          Math.random = () => r.next();
        }
      }
    },
  };
}
