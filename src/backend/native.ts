/**
 * The native CPU path: an N-API addon (native/, built by node-gyp with its own GEMM for
 * the CPU's instruction set, and linked against the system OpenBLAS where there is one)
 * that replaces the hot kernels of tfjs's 'cpu' backend — matmuls, 2-D convolutions and
 * their gradients, max pooling, batch normalisation, common element-wise ops and
 * reductions — working in place on the Float32Arrays the cpu backend already holds; runs
 * dense and 2-D convolution layers and the losses as one kernel each way
 * (./native/fusedDense.ts, ./native/fusedConv.ts, ./native/fusedLosses.ts); copies the
 * tensors saved for a backward pass without kernel calls (./native/leanSavedTensors.ts);
 * and registers leaner gradients, written in ordinary tfjs ops, for batch normalisation
 * and mean (./native/gradients/).
 * Unsupported dtypes, layouts or attributes fall through to the original kernels.
 */
import * as tf from '@tensorflow/tfjs';

import { kernelsDescription, loadAddon, type NativeAddon } from './native/addon.js';
import { BufferPool } from './native/bufferPool.js';
import { setOutputPool, type CpuBackend, type NativeKernel } from './native/cpuTensors.js';
import { NATIVE_GRADIENTS } from './native/gradients/index.js';
import { NATIVE_KERNELS } from './native/kernels/index.js';
import { NATIVE_ADDED_KERNELS } from './native/kernels/optimizerUpdates.js';
import { convGradient, convKernel, useFusedConv } from './native/fusedConv.js';
import { denseGradient, denseKernel, useFusedDense } from './native/fusedDense.js';
import { expertMixtureGradient, expertMixtureKernel, useFusedExpertMixture } from './native/fusedExpertMixture.js';
import { FUSED_LOSS_GRADIENTS, FUSED_LOSS_KERNELS, useFusedLosses } from './native/fusedLosses.js';
import { useLeanSavedTensors } from './native/leanSavedTensors.js';
import { useNativeTensorSums } from './native/tensorSums.js';
import { useGradDropPasses } from '../weighting/gradDropPasses.js';

/** One line telling a user how to get the native path. */
export const NATIVE_HINT =
  'for the fast native CPU path: apt-get install g++ make python3 (libopenblas-dev and pkg-config optional), then npm rebuild tfjs-multitask';

/** Options for {@link tryInstallNative}. */
export interface NativeOptions {
  /**
   * Threads for OpenBLAS and the addon's own loops.
   * @defaultValue `MTL_NATIVE_THREADS`, else the number of CPUs
   */
  threads?: number;
  /**
   * Reuse the buffers of disposed native outputs for new outputs (see BufferPool).
   * Buffers ever returned by dataSync/data/arraySync or shared with another tensor
   * are never reused.
   * @defaultValue true
   */
  recycleBuffers?: boolean;
}

/** Result of {@link tryInstallNative}: ok, or a one-line reason with a hint. */
export interface NativeInstallResult {
  ok: boolean;
  reason?: string;
  /** When ok: which kernels run, e.g. `own GEMM, AVX-512` or `OpenBLAS, AVX2 kernels` (see {@link NativeInfo.kernels}). */
  kernels?: string;
}

interface Installed {
  addon: NativeAddon;
  path: string;
  pool: BufferPool | null;
  originals: Map<string, tf.KernelConfig>;
  /** Kernels registered on 'cpu' that tfjs does not have (fused optimizer updates). */
  added: string[];
  /** The gradients registered before ours, by kernel name. */
  originalGradients: Map<string, tf.GradConfig>;
  counts: Map<string, { native: number; fallback: number }>;
}

let installed: Installed | null = null;

function selfTest(addon: NativeAddon): string | null {
  const a = Float32Array.of(1, 2, 3, 4);
  const b = Float32Array.of(5, 6, 7, 8);
  const out = new Float32Array(4);
  addon.matMul(a, b, out, 1, 1, 2, 2, 2, false, false, null, 0, 0, 0);
  const expected = [19, 22, 43, 50];
  return out.every((v, i) => v === expected[i]) ? null : `the addon's self-test matmul gave [${[...out]}]`;
}

/** The cpu backend's first write prints "install tfjs-node to speed things up"; with native kernels that advice is noise. */
function quietCpuBanner(): void {
  const backend = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (backend && backend.firstUse === true) backend.firstUse = false;
}

function register(kernel: NativeKernel, addon: NativeAddon, state: Installed): void {
  const original = tf.getKernel(kernel.kernelName, 'cpu');
  if (!original) return;
  const counts = { native: 0, fallback: 0 };
  state.originals.set(kernel.kernelName, original);
  state.counts.set(kernel.kernelName, counts);
  tf.unregisterKernel(kernel.kernelName, 'cpu');
  tf.registerKernel({
    ...original,
    kernelFunc: (params) => {
      const result = kernel.run(
        { inputs: params.inputs, backend: params.backend as CpuBackend, attrs: params.attrs ?? {} },
        addon,
      );
      if (result !== null) {
        counts.native++;
        return result;
      }
      counts.fallback++;
      return original.kernelFunc(params);
    },
  });
}

let fusedGradientsRegistered = false;

function registerAdded(addon: NativeAddon, state: Installed): void {
  const fusedDense = typeof addon.dense === 'function' && typeof addon.denseBackward === 'function';
  const fusedConv = typeof addon.conv2dBackward === 'function';
  const fusedMixture = typeof addon.expertMixture === 'function' && typeof addon.expertMixtureBackward === 'function';
  if (!fusedGradientsRegistered) {
    // Registered once and left in place: without their kernels (added below, taken off
    // by uninstallNative) nothing reaches them.
    for (const gradient of [denseGradient, convGradient, expertMixtureGradient, ...FUSED_LOSS_GRADIENTS]) tf.registerGradient(gradient);
    fusedGradientsRegistered = true;
  }
  for (const kernel of [...NATIVE_ADDED_KERNELS, ...FUSED_LOSS_KERNELS, ...(fusedDense ? [denseKernel] : []), ...(fusedConv ? [convKernel] : []), ...(fusedMixture ? [expertMixtureKernel] : [])]) {
    if (tf.getKernel(kernel.kernelName, 'cpu')) continue;
    tf.registerKernel({
      kernelName: kernel.kernelName,
      backendName: 'cpu',
      kernelFunc: (params) =>
        kernel.run({ inputs: params.inputs, backend: params.backend as CpuBackend, attrs: params.attrs ?? {} }, addon),
    });
    state.added.push(kernel.kernelName);
  }
}

/** Registers the native path's gradients over tfjs's, keeping the ones they replace. */
function registerGradients(state: Installed): void {
  for (const gradient of NATIVE_GRADIENTS) {
    const original = tf.getGradient(gradient.kernelName);
    if (!original) continue;
    const replacement = gradient.replace(original);
    if (!replacement) continue;
    state.originalGradients.set(gradient.kernelName, original);
    tf.registerGradient(replacement);
  }
}

/** Hands the weighting methods the addon's passes over gradient rows (an older addon build has none). */
function registerMethodPasses(addon: NativeAddon): void {
  const { gradDropSignedSums, gradDropMaskedSum } = addon;
  if (!gradDropSignedSums || !gradDropMaskedSum) return;
  useGradDropPasses({ signedSums: gradDropSignedSums.bind(addon), maskedSum: gradDropMaskedSum.bind(addon) });
}

/**
 * Loads the native addon and, if it works, registers its kernels on tfjs's 'cpu'
 * backend (keeping the originals as fallbacks), registers its gradients (see
 * ./native/gradients/) and makes 'cpu' the active backend.
 * Never throws: when the addon is missing or broken it returns `ok: false` with a
 * one-line reason and a hint, and tfjs is left untouched.
 *
 * @example
 * ```ts
 * const native = await tryInstallNative();
 * console.log(native.ok ? 'backend: cpu + native kernels' : `native path off: ${native.reason}`);
 * ```
 */
export async function tryInstallNative(options: NativeOptions = {}): Promise<NativeInstallResult> {
  if (installed) {
    if (options.threads !== undefined) installed.addon.setNumThreads(options.threads);
    if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'tfjs could not initialise its cpu backend' };
    return { ok: true, kernels: kernelsDescription(installed.addon.info()) };
  }
  const load = loadAddon();
  if (!load.ok) return { ok: false, reason: `${load.reason}; ${NATIVE_HINT}` };
  try {
    const failure = selfTest(load.addon);
    if (failure) return { ok: false, reason: `${failure}; ${NATIVE_HINT}` };
    if (options.threads !== undefined) load.addon.setNumThreads(options.threads);
  } catch (error) {
    return { ok: false, reason: `the native addon failed its self-test: ${String(error)}; ${NATIVE_HINT}` };
  }
  if (!tf.findBackendFactory('cpu')) {
    return { ok: false, reason: "tfjs has no 'cpu' backend registered (import @tensorflow/tfjs)" };
  }
  const state: Installed = {
    addon: load.addon, path: load.path, pool: null, originals: new Map(), added: [], originalGradients: new Map(), counts: new Map(),
  };
  for (const kernel of NATIVE_KERNELS) register(kernel, load.addon, state);
  registerAdded(load.addon, state);
  registerGradients(state);
  registerMethodPasses(load.addon);
  useFusedDense(load.addon);
  useFusedConv(load.addon);
  useFusedExpertMixture(load.addon);
  useFusedLosses(true);
  useLeanSavedTensors(true);
  useNativeTensorSums(load.addon);
  installed = state;
  if (!(await tf.setBackend('cpu'))) {
    uninstallNative();
    return { ok: false, reason: 'tfjs could not initialise its cpu backend' };
  }
  quietCpuBanner();
  if (options.recycleBuffers ?? true) {
    state.pool = new BufferPool();
    state.pool.attach(tf.findBackend('cpu') as unknown as Parameters<BufferPool['attach']>[0]);
    setOutputPool(state.pool);
  }
  return { ok: true, kernels: kernelsDescription(load.addon.info()) };
}

/**
 * Puts tfjs's original cpu kernels and gradients back (the very config objects that
 * were registered before). A no-op when the native path is not installed.
 */
export function uninstallNative(): void {
  if (!installed) return;
  setOutputPool(null);
  installed.pool?.detach();
  for (const [name, original] of installed.originals) {
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel(original);
  }
  for (const name of installed.added) tf.unregisterKernel(name, 'cpu');
  for (const original of installed.originalGradients.values()) tf.registerGradient(original);
  useGradDropPasses(null);
  useFusedDense(null);
  useFusedConv(null);
  useFusedExpertMixture(null);
  useFusedLosses(false);
  useLeanSavedTensors(false);
  useNativeTensorSums(null);
  installed = null;
}

/** Whether the native kernels are currently registered. */
export function isNativeInstalled(): boolean {
  return installed !== null;
}

/**
 * The original tfjs cpu kernel that a native kernel replaced (for comparisons and
 * fallbacks), or the currently registered one when the native path is not installed.
 */
export function originalCpuKernel(kernelName: string): tf.KernelConfig | undefined {
  return installed?.originals.get(kernelName) ?? tf.getKernel(kernelName, 'cpu');
}

/**
 * The gradient config that a native-path gradient replaced (for comparisons), or the
 * currently registered one when the native path is not installed or left it alone.
 */
export function originalGradient(kernelName: string): tf.GradConfig | undefined {
  return installed?.originalGradients.get(kernelName) ?? tf.getGradient(kernelName);
}

/** What the native path is running with; see {@link nativeInfo}. */
export interface NativeInfo {
  /** The addon file loaded. */
  path: string;
  /** Threads of the addon's pool (OpenBLAS, where used, runs single-threaded inside its tasks). */
  threads: number;
  /** Which kernels run, e.g. `own GEMM, AVX-512`, or `OpenBLAS, AVX2 kernels` where OpenBLAS takes the matrix products. */
  kernels: string;
  /** The instruction set of the addon's own GEMM kernels: `avx512`, `avx2` or `portable`. */
  isa: string;
  /** Whether the addon was built with OpenBLAS. */
  blas: boolean;
  /** OpenBLAS's build string, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH ... Zen`; empty without OpenBLAS. */
  blasConfig: string;
  /** Bytes of disposed outputs held for reuse (0 when recycling is off). */
  pooledBytes: number;
}

/** The native path's addon, threads, kernels, OpenBLAS build and pooled bytes; null when not installed. */
export function nativeInfo(): NativeInfo | null {
  if (!installed) return null;
  const info = installed.addon.info();
  return {
    path: installed.path,
    threads: info.threads,
    kernels: kernelsDescription(info),
    isa: info.isa ?? 'unknown',
    blas: info.blas ?? true,
    blasConfig: info.blasConfig,
    pooledBytes: installed.pool?.bytes ?? 0,
  };
}

/** Sets the thread count of OpenBLAS and of the addon's loops. Throws if the native path is not installed. */
export function setNativeThreads(threads: number): void {
  if (!installed) throw new Error('setNativeThreads: the native path is not installed; call tryInstallNative() first');
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`setNativeThreads: threads must be a positive integer, found ${threads}`);
  }
  installed.addon.setNumThreads(threads);
}

/**
 * Per-kernel call counts since install: how often the native code ran and how often a
 * case fell back to the original kernel. Shows which tfjs calls miss the native path.
 */
export function nativeKernelCounts(): Record<string, { native: number; fallback: number }> {
  const result: Record<string, { native: number; fallback: number }> = {};
  for (const [name, counts] of installed?.counts ?? []) result[name] = { ...counts };
  return result;
}
