/**
 * tfjs-multitask's fixes to the tfjs wasm backend, so that it trains conv nets and MLPs
 * at XNNPACK speed (see DESIGN.md, "Known tfjs gaps"). Each fix lives in its own
 * file under `kernels/`; this module registers them all with tfjs's kernel
 * registry, keeping the stock kernels so that the fixes can call them and so that
 * {@link uninstallWasmKernelFixes} can put them back.
 */
import * as tf from '@tensorflow/tfjs';
// Side effect: registers the wasm backend and its stock kernels, which the fixes wrap.
import '@tensorflow/tfjs-backend-wasm';
import { batchMatMulFix, fusedMatMulFix } from './kernels/batchMatMul.js';
import { conv2dBackpropFilterFix } from './kernels/conv2dBackpropFilter.js';
import { conv2dBackpropInputFix } from './kernels/conv2dBackpropInput.js';
import {
  avgPoolPaddingFix,
  conv2dPaddingFix,
  depthwiseConv2dPaddingFix,
  fusedConv2dPaddingFix,
  fusedDepthwiseConv2dPaddingFix,
  maxPoolPaddingFix,
} from './kernels/convPadding.js';
import { depthwiseConv2dBackpropFilterFix, depthwiseConv2dBackpropInputFix } from './kernels/depthwiseConv2dBackprop.js';
import { identityFix } from './kernels/identity.js';
import { maxPoolGradFix } from './kernels/maxPoolGrad.js';
import { sumFix } from './kernels/sum.js';
import { type KernelFix, WASM, type WasmKernelFunc } from './kernels/shared.js';

/** Every fix, in registration order. */
const FIXES: readonly KernelFix[] = [
  batchMatMulFix,
  fusedMatMulFix,
  conv2dBackpropFilterFix,
  conv2dBackpropInputFix,
  maxPoolGradFix,
  conv2dPaddingFix,
  fusedConv2dPaddingFix,
  depthwiseConv2dPaddingFix,
  fusedDepthwiseConv2dPaddingFix,
  maxPoolPaddingFix,
  avgPoolPaddingFix,
  depthwiseConv2dBackpropFilterFix,
  depthwiseConv2dBackpropInputFix,
  identityFix,
  sumFix,
];

/** Marks kernel functions registered by tfjs-multitask, so a second install (even from a second copy of this module) is a no-op. */
const FIX_MARK = Symbol.for('tfjs-multitask.wasmKernelFix');

/** What a kernel was before the fixes: the stock config, or undefined where wasm had none. */
const STOCK_KEY = Symbol.for('tfjs-multitask.wasmKernelStock');
type StockRegistry = Map<string, tf.KernelConfig | undefined>;
function stockRegistry(): StockRegistry {
  const holder = globalThis as unknown as Record<symbol, StockRegistry | undefined>;
  return (holder[STOCK_KEY] ??= new Map());
}

function isFix(config: tf.KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as unknown as Record<symbol, unknown>)[FIX_MARK] === true;
}

/** One registered fix: the kernel name and why it is there. */
export interface WasmKernelFixInfo {
  /** The tfjs kernel name, e.g. `Conv2DBackpropFilter`. */
  kernelName: string;
  /** `added` where stock wasm had no kernel, `replaced` where the stock one is wrapped or replaced. */
  kind: 'added' | 'replaced';
  /** What was wrong with stock wasm and what the fix does. */
  reason: string;
}

/**
 * Registers tfjs-multitask's wasm kernel fixes with tfjs's kernel registry (backend
 * `wasm`). Idempotent: calling it again, before or after `tf.setBackend('wasm')`,
 * changes nothing. The stock kernels are kept and called by the fixes (e.g. the
 * untransposed BatchMatMul), and their setup functions still run when the wasm
 * backend initialises.
 *
 * Fixes (one file each under `kernels/`; measured on tfjs 4.22):
 * - `BatchMatMul`, `_FusedMatMul`: transposed operands fell to a scalar loop; the
 *   transpose is materialised and XNNPACK runs the product. `_FusedMatMul` was also
 *   wrong for batched products with a bias.
 * - `Conv2DBackpropFilter` (missing) and `Conv2DBackpropInput` (naive loop): XNNPACK
 *   forward convolutions of transposed operands; any stride, 'same' / 'valid' /
 *   numeric / explicit padding, NHWC, dilation 1.
 * - `MaxPoolGrad`: the stock kernel rescans windows per input pixel (and is wrong
 *   for overlapping windows); one host pass per window.
 * - `DepthwiseConv2dNativeBackpropFilter` / `...Input` (missing): host loops.
 * - `Conv2D`, `FusedConv2D`, `DepthwiseConv2dNative`, `FusedDepthwiseConv2D`,
 *   `MaxPool`, `AvgPool` with numeric or explicit padding: XNNPACK could write past
 *   tfjs's output buffer (heap corruption); exact paddings are passed instead.
 * - `Identity`: shares the buffer instead of copying every tensor the engine saves
 *   for the backward pass.
 * - `Sum` over leading axes (bias gradients): one host pass instead of a transpose.
 *
 * @returns the fixes now registered.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { installWasmKernelFixes } from 'tfjs-multitask';
 * installWasmKernelFixes();
 * await tf.setBackend('wasm');
 * ```
 */
export function installWasmKernelFixes(): WasmKernelFixInfo[] {
  const stock = stockRegistry();
  for (const fix of FIXES) {
    const current = tf.getKernel(fix.kernelName, WASM);
    if (isFix(current)) continue;
    stock.set(fix.kernelName, current);
    const original = current?.kernelFunc as WasmKernelFunc | undefined;
    const kernelFunc = fix.build(original);
    Object.defineProperty(kernelFunc, FIX_MARK, { value: true });
    if (current !== undefined) tf.unregisterKernel(fix.kernelName, WASM);
    tf.registerKernel({
      kernelName: fix.kernelName,
      backendName: WASM,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      setupFunc: current?.setupFunc,
      disposeFunc: current?.disposeFunc,
    });
  }
  return describeWasmKernelFixes();
}

/**
 * Puts the stock wasm kernels back (and removes the kernels the fixes added).
 * Meant for benchmarks and tests that compare stock wasm with the fixes.
 */
export function uninstallWasmKernelFixes(): void {
  const stock = stockRegistry();
  for (const fix of FIXES) {
    const current = tf.getKernel(fix.kernelName, WASM);
    if (!isFix(current)) continue;
    tf.unregisterKernel(fix.kernelName, WASM);
    const original = stock.get(fix.kernelName);
    if (original !== undefined) tf.registerKernel(original);
    stock.delete(fix.kernelName);
  }
}

/** Whether every tfjs-multitask wasm kernel fix is currently registered. */
export function wasmKernelFixesInstalled(): boolean {
  return FIXES.every((fix) => isFix(tf.getKernel(fix.kernelName, WASM)));
}

/** The fixes currently registered, with what each one is for. */
export function describeWasmKernelFixes(): WasmKernelFixInfo[] {
  const stock = stockRegistry();
  return FIXES.filter((fix) => isFix(tf.getKernel(fix.kernelName, WASM))).map((fix) => ({
    kernelName: fix.kernelName,
    kind: stock.get(fix.kernelName) === undefined ? 'added' : 'replaced',
    reason: fix.reason,
  }));
}
