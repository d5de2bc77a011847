import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

import { loadAddon } from '../../src/backend/native/addon.js';
import { nativeKernelCounts, tryInstallNative, uninstallNative } from '../../src/backend/native.js';

const load = loadAddon();

/** `false` when the addon is built, else the reason the native tests are skipped. */
export const skipNative: false | string = load.ok
  ? false
  : `native path unavailable: ${load.reason}; build it with: npx node-gyp rebuild`;

/** Installs the native kernels (once per file) and checks it worked. */
export async function installNative(): Promise<void> {
  const result = await tryInstallNative();
  assert.ok(result.ok, result.reason);
}

/** Runs `fn` on the stock tfjs cpu kernels, then puts the native kernels back. */
export async function onStockCpu<T>(fn: () => T): Promise<T> {
  uninstallNative();
  try {
    return fn();
  } finally {
    await installNative();
  }
}

/** Deterministic uniform values in [lo, hi) (mulberry32). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** A float32 tensor of `shape` with deterministic random values. */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
}

/** Runs a kernel by name through the tfjs engine and copies out its values and shape. */
export function runKernel(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown> = {},
): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const result = tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor | tf.Tensor[];
    if (!Array.isArray(result)) return { values: Float32Array.from(result.dataSync() as Float32Array), shape: result.shape };
    // Several outputs: their values one after another, their shapes separated by −1.
    const values = new Float32Array(result.reduce((n, t) => n + t.size, 0));
    let offset = 0;
    for (const t of result) {
      values.set(t.dataSync() as Float32Array, offset);
      offset += t.size;
    }
    return { values, shape: result.flatMap((t) => [...t.shape, -1]) };
  });
}

/**
 * Asserts `got` matches `want` to `rtol` relative to each value's magnitude, with
 * values much smaller than the tensor's RMS compared at the RMS scale (sums with
 * cancellation cannot be matched relatively). NaN must match NaN; infinities exactly.
 */
export function assertClose(got: Float32Array, want: Float32Array, rtol = 1e-5, what = ''): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let sq = 0;
  let finite = 0;
  for (const w of want) {
    if (Number.isFinite(w)) {
      sq += w * w;
      finite++;
    }
  }
  const rms = finite ? Math.sqrt(sq / finite) : 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      assert.ok(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what}[${i}]: got ${g}, want ${w}`);
      continue;
    }
    const err = Math.abs(g - w);
    const bound = rtol * Math.max(Math.abs(w), rms, 1e-30);
    assert.ok(err <= bound, `${what}[${i}]: got ${g}, want ${w} (error ${err.toExponential(2)} > ${bound.toExponential(2)})`);
  }
}

/**
 * Runs kernel `name` natively and on stock cpu with the same inputs and asserts the
 * results agree; also checks which path ran (native, or the original as fallback)
 * and that no tensors leaked.
 */
export async function compareKernel(
  name: string,
  makeInputs: () => Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
  what: string,
  rtol = 1e-5,
  path: 'native' | 'fallback' = 'native',
): Promise<void> {
  const before = tf.memory().numTensors;
  const inputs = makeInputs();
  const want = await onStockCpu(() => runKernel(name, inputs, attrs));
  const counted = nativeKernelCounts()[name]?.[path] ?? 0;
  const got = runKernel(name, inputs, attrs);
  assert.equal(nativeKernelCounts()[name]?.[path], counted + 1, `${what}: expected the ${path} path of ${name}`);
  tf.dispose(Object.values(inputs));
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assertClose(got.values, want.values, rtol, what);
  assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
}

/** Kernel names the engine ran while `fn` ran (nested ones included): what the fused-kernel tests count. */
export function kernelsRun(fn: () => void): string[] {
  const engine = tf.engine() as unknown as { runKernelFunc(p: { kernelName?: string }): unknown };
  const original = engine.runKernelFunc;
  const names: string[] = [];
  engine.runKernelFunc = function (this: unknown, p) {
    if (p.kernelName) names.push(p.kernelName);
    return original.call(this, p);
  };
  try {
    fn();
  } finally {
    engine.runKernelFunc = original;
  }
  return names;
}

/** Frees a layer's weights (a layer never applied to a symbolic input cannot be disposed). */
export function disposeWeights(layer: tf.layers.Layer): void {
  for (const w of layer.weights) (w as unknown as { dispose(): void }).dispose();
}

/**
 * Five SGD steps (mean squared error) of a sequential model of `layers()` on the batch
 * `x()` → `target()`, all made inside: each step's loss and the final weights, for
 * comparing the native path with stock tfjs step for step.
 */
export function sgdSteps(layers: () => tf.layers.Layer[], x: () => tf.Tensor, target: () => tf.Tensor, learningRate: number):
  { losses: number[]; weights: number[][] } {
  let result!: { losses: number[]; weights: number[][] };
  tf.tidy(() => {
    const model = tf.sequential({ layers: layers() });
    const optimizer = tf.train.sgd(learningRate);
    const xs = x(), ys = target();
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const loss = optimizer.minimize(() => tf.losses.meanSquaredError(ys, model.apply(xs) as tf.Tensor) as tf.Scalar, true)!;
      losses.push(loss.dataSync()[0]!);
    }
    result = { losses, weights: model.getWeights().map((w) => Array.from(w.dataSync())) };
    model.dispose();
    optimizer.dispose();
  });
  return result;
}
