/**
 * Shared helpers for the backend tests: wasm set-up, seeded data, running one
 * computation on cpu (the reference) and on wasm, tolerance checks, leak checks.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/selectBackend.js';

/** Activates wasm with tfjs-multitask's kernel fixes (silently). */
export async function useWasm(): Promise<void> {
  await selectBackend('wasm', { log: () => {}, env: {} });
}

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` values uniform in [-1, 1) from `random`; with `integers`, small integers (to force ties). */
export function values(random: () => number, size: number, integers = false): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = integers ? Math.floor(random() * 5) - 2 : random() * 2 - 1;
  return out;
}

/** A random integer in [low, high]. */
export function between(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/**
 * Runs `build` on `backend` inside a tidy and returns its outputs' values. The
 * inputs must be created inside `build` (from typed arrays), so each backend gets
 * its own copies.
 */
export async function runOn(backend: 'cpu' | 'wasm', build: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  if (backend === 'wasm') await useWasm();
  else await tf.setBackend('cpu');
  const outs = tf.tidy(build);
  const list = Array.isArray(outs) ? outs : [outs];
  const data = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return data;
}

/** Runs `build` on cpu and on wasm; asserts equal shapes and values within `rtol` (relative to the largest reference value). */
export async function assertSameOnCpuAndWasm(label: string, build: () => tf.Tensor | tf.Tensor[], rtol = 1e-4): Promise<void> {
  const expected = await runOn('cpu', build);
  const actual = await runOn('wasm', build);
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  expected.forEach((e, i) => assertClose(actual[i]!, e, rtol, `${label} (output ${i})`));
}

/** Asserts ‖actual − expected‖∞ ≤ rtol · max(‖expected‖∞, 1e-6), naming the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: size`);
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = -1;
  let worstError = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (!(error <= worstError)) {
      worstError = error;
      worst = i;
    }
  }
  assert.ok(
    worst < 0 || worstError <= rtol * scale,
    `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (error ${worstError}, allowed ${rtol * scale})`,
  );
}

/** Counts of live tensors (engine) and live buffers (backend), to catch leaks inside kernels too. */
export function liveCounts(): { tensors: number; buffers: number } {
  return { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
}

/** Runs `body` on the active backend and asserts it leaves no tensor and no backend buffer behind. */
export function assertNoLeak(label: string, body: () => void): void {
  const before = liveCounts();
  body();
  assert.deepEqual(liveCounts(), before, `${label}: tensors/buffers leaked`);
}
