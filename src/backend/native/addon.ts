import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** File name node-gyp gives the compiled addon (target `mtl_native` in binding.gyp). */
export const ADDON_FILE = 'mtl_native.node';

/**
 * The functions the compiled addon (native/addon.cc) exports. Every kernel reads
 * Float32Arrays the caller owns and writes into a caller-allocated output; nothing is
 * copied across the boundary. Geometry arrays are the 15 ints
 * `[batch, inH, inW, inC, outH, outW, outC, filterH, filterW, strideH, strideW,
 * dilationH, dilationW, padTop, padLeft]` (NHWC input, HWIO filter).
 */
export interface NativeAddon {
  /** `out[b] = act(op(a[b % batchA]) · op(b[b % batchB]) + bias)`; biasMode 0 none, 1 per column, 2 scalar. */
  matMul(
    a: Float32Array, b: Float32Array, out: Float32Array, batchA: number, batchB: number,
    m: number, n: number, k: number, transposeA: boolean, transposeB: boolean,
    bias: Float32Array | null, biasMode: number, activation: number, alpha: number,
  ): void;
  /**
   * A dense layer y = act(x·W + bias), x [rows, in], W [in, units], bias [units] or null;
   * act 0 linear, 1 relu, 4 sigmoid, 5 tanh, 6 row-wise softmax (native/dense.cc).
   * Absent from an addon built before 2026-12-05.
   */
  dense?(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, rows: number, inputs: number,
    units: number, activation: number): void;
  /**
   * The dense layer's backward from dy and the forward's x, W and y: g = dy ⊙ act'(y) into
   * `scratch` (rows × units; null for linear), db = Σ_rows g, dx = g·Wᵀ, dW = xᵀ·g; a null
   * dx, dw or db is skipped. Absent from an addon built before 2026-12-05.
   */
  denseBackward?(dy: Float32Array, x: Float32Array, w: Float32Array, y: Float32Array, rows: number, inputs: number,
    units: number, activation: number, scratch: Float32Array | null, dx: Float32Array | null, dw: Float32Array | null,
    db: Float32Array | null): void;
  /** NHWC convolution via im2col + sgemm, with optional per-channel bias and fused activation. */
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, geometry: Int32Array,
    bias: Float32Array | null, activation: number, alpha: number): void;
  /** Gradient of conv2d with respect to its input (sgemm + col2im). */
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /** Gradient of conv2d with respect to its filter (im2col + sgemm). */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  /**
   * A convolution layer's backward from dy and the forward's x, W and output y (the
   * fused conv op): g = dy ⊙ act'(y) into `scratch` (as many values as y; null for
   * linear), db = Σ g over batch and pixels, dW and dx as the two kernels above from g;
   * a null dx, dw or db is skipped. Activations 0 linear, 1 relu, 4 sigmoid, 5 tanh.
   * Absent from an addon built before 2026-12-06.
   */
  conv2dBackward?(dy: Float32Array, x: Float32Array, w: Float32Array, y: Float32Array, geometry: Int32Array, activation: number,
    scratch: Float32Array | null, dx: Float32Array | null, dw: Float32Array | null, db: Float32Array | null): void;
  /**
   * The fused losses' per-example arithmetic (native/losses.cc, the same steps as
   * src/backend/native/fusedLosses.ts's JavaScript): softmax cross-entropy of logits
   * [n, k] against class indices [n], its gradient dy·(softmax − one-hot), sigmoid
   * cross-entropy of logits and labels [n, c] averaged over c, and its gradient on the
   * logits. Absent from an addon built before 2026-12-06.
   */
  softmaxCrossEntropy?(logits: Float32Array, labels: Float32Array, losses: Float32Array, n: number, k: number): void;
  softmaxCrossEntropyGrad?(dy: Float32Array, logits: Float32Array, labels: Float32Array, out: Float32Array, n: number, k: number): void;
  sigmoidCrossEntropy?(logits: Float32Array, labels: Float32Array, losses: Float32Array, n: number, c: number): void;
  sigmoidCrossEntropyGrad?(dy: Float32Array, logits: Float32Array, labels: Float32Array, out: Float32Array, n: number, c: number): void;
  /** NHWC max pooling. */
  maxPool(x: Float32Array, y: Float32Array, geometry: Int32Array): void;
  /** Gradient of max pooling: each dy value goes to its window's first maximum. */
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /** Element-wise unary op `op` (see UNARY_OPS) over n values. */
  unary(op: number, x: Float32Array, y: Float32Array, n: number, alpha: number): void;
  /** Broadcasting binary op: element strides of a and b per output dim (0 = broadcast). */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, outShape: Int32Array,
    aStrides: Int32Array, bStrides: Int32Array): void;
  /** Sum (op 0) or max (op 1) over the dims flagged 1 in `reduceFlags`. */
  reduce(op: number, x: Float32Array, out: Float32Array, shape: Int32Array, reduceFlags: Int32Array): void;
  /**
   * The gated sum of `count` experts of [batch, features]: y[b, f] = Σ_e gate[b, e]·experts[e][b, f].
   * Absent from an addon built before 2026-12-05.
   */
  expertMixture?(gate: Float32Array, experts: readonly Float32Array[], y: Float32Array, batch: number, count: number, features: number): void;
  /**
   * Its backward: dgate[b, e] = Σ_f dy[b, f]·experts[e][b, f] and dexperts[e] = gate[:, e]·dy
   * (a null output is not computed).
   */
  expertMixtureBackward?(dy: Float32Array, gate: Float32Array, experts: readonly Float32Array[], dgate: Float32Array | null,
    dexperts: ReadonlyArray<Float32Array | null>, batch: number, count: number, features: number): void;
  /**
   * y = Σ_t weights[t]·xs[t] over arrays of n values, from 0 in order, every product and
   * sum rounded to float (no fused multiply-add). Absent from an addon built before 2026-12-05.
   */
  weightedSum?(xs: readonly Float32Array[], weights: Float32Array, y: Float32Array, n: number): void;
  /** Row-wise softmax of a [rows, cols] matrix. */
  softmax(x: Float32Array, y: Float32Array, rows: number, cols: number): void;
  /** Element-wise sum of several arrays of n values. */
  addN(xs: Float32Array[], y: Float32Array, n: number): void;
  /**
   * Batch normalisation with given statistics (FusedBatchNorm) over x's n values: each
   * parameter repeats along x's flat order with its own length (a null offset is 0, a
   * null scale 1); the longest length must divide n and the others must divide it.
   */
  batchNorm(x: Float32Array, y: Float32Array, n: number, mean: Float32Array, meanLength: number,
    variance: Float32Array, varianceLength: number, offset: Float32Array | null, offsetLength: number,
    scale: Float32Array | null, scaleLength: number, varianceEpsilon: number): void;
  /**
   * Fused Adam/AdamW update of one variable of n values; `params` holds
   * [β1, 1−β1, β2, 1−β2, stepSize, ε̂, coupled weight decay, decay factor] (native/kernels.h).
   */
  adamUpdate(theta: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
    thetaOut: Float32Array, mOut: Float32Array, vOut: Float32Array, n: number, params: Float32Array): void;
  /** Fused SGD update of one variable; buffer/bufferOut null without momentum. */
  sgdUpdate(theta: Float32Array, grad: Float32Array, buffer: Float32Array | null, thetaOut: Float32Array,
    bufferOut: Float32Array | null, n: number, learningRate: number, weightDecay: number, momentum: number,
    nesterov: boolean, firstStep: boolean): void;
  /**
   * GradDrop's batched passes (native/graddrop.cc; `GradDropPasses` in
   * src/weighting/gradDropPasses.ts). Absent from an addon built before 2026-12-05.
   */
  gradDropSignedSums?(rows: readonly Float32Array[], values: Float32Array, batchSize: number, features: number, summed: Float64Array): void;
  gradDropMaskedSum?(rows: readonly Float32Array[], keep: Float64Array, batchSize: number, features: number,
    direction: Float32Array, norms: Float64Array): void;
  /** Threads for the addon's own loops and for OpenBLAS. */
  setNumThreads(threads: number): void;
  /**
   * Whether thin products (an output of ≤ 64 values over K ≥ 256, e.g. a Gramian G·Gᵀ)
   * use blocked dot products instead of sgemm. On unless `MTL_NATIVE_THIN_MATMUL=0`;
   * for benchmarks and tests.
   */
  setThinMatMul(enabled: boolean): void;
  /**
   * Switches the own GEMM's instruction set (`avx512`, `avx2`, `portable`; null keeps
   * it) and the GEMM (`own`, `openblas`, `auto`; null keeps it). False, changing
   * nothing, when this build or CPU cannot run the request. For tests and benchmarks.
   * Absent from an addon built before 2026-12-05.
   */
  setGemm?(isa: string | null, gemm: string | null): boolean;
  /** Thread counts, the GEMM in use and what the build holds; see {@link NativeAddonInfo}. */
  info(): NativeAddonInfo;
}

/** What the addon reports about itself (`info()`). */
export interface NativeAddonInfo {
  /** Threads of the addon's pool. */
  threads: number;
  /** Whether the addon was built with OpenBLAS (absent: an older build, which always was). */
  blas?: boolean;
  /** OpenBLAS's threads (1: it runs inside the pool's tasks); 0 without OpenBLAS. */
  blasThreads: number;
  /** OpenBLAS's build string, empty without OpenBLAS. */
  blasConfig: string;
  /** The OpenBLAS kernel family picked for this CPU (e.g. `Haswell`), empty without OpenBLAS. */
  blasCore: string;
  /** Whether thin products bypass the GEMM (thin_gemm.cc). */
  thinMatMul: boolean;
  /** The instruction set of the own GEMM kernels in use: `avx512`, `avx2` or `portable`. */
  isa?: string;
  /** Comma-separated instruction sets compiled into the build. */
  isasCompiled?: string;
  /** Comma-separated instruction sets this CPU can run. */
  isasUsable?: string;
  /** Which GEMM runs: `own`, `openblas`, or `auto` (per shape). */
  gemm?: string;
}

const ISA_NAMES: Readonly<Record<string, string>> = { avx512: 'AVX-512', avx2: 'AVX2', portable: 'portable' };

/**
 * Which kernels an addon runs, in words: `own GEMM, AVX-512` when its own GEMM takes
 * the matrix products, `OpenBLAS, AVX2 kernels` when OpenBLAS does (the addon's other
 * kernels are its own), `OpenBLAS` for an addon too old to say more.
 */
export function kernelsDescription(info: NativeAddonInfo): string {
  if (info.isa === undefined) return 'OpenBLAS';
  const isa = ISA_NAMES[info.isa] ?? info.isa;
  // "auto" sends the products to OpenBLAS unless the own kernels run AVX-512 (native/gemm_dispatch.cc).
  const blasRuns = info.blas === true && (info.gemm === 'openblas' || (info.gemm === 'auto' && info.isa !== 'avx512'));
  return blasRuns ? `OpenBLAS, ${isa} kernels` : `own GEMM, ${isa}`;
}

/** Result of looking for the compiled addon. */
export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

/**
 * Where the addon may be: `MTL_NATIVE_ADDON` if set, else `build/Release/mtl_native.node`
 * in this package's root, found by walking up from this module (works from `src/` under
 * tsx and from `dist/src/` after `tsc`).
 */
export function addonCandidates(): string[] {
  const fromEnv = process.env['MTL_NATIVE_ADDON'];
  if (fromEnv) return [resolve(fromEnv)];
  const found: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    found.push(join(dir, 'build', 'Release', ADDON_FILE));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return found;
}

/** Loads the compiled addon, or says in one line why it could not. */
export function loadAddon(): AddonLoad {
  const candidates = addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    return { ok: false, reason: `the native addon is not built (no ${ADDON_FILE} under build/Release)` };
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    if (typeof addon.matMul !== 'function') {
      return { ok: false, reason: `${path} is not the tfjs-multitask addon (it has no matMul)` };
    }
    return { ok: true, addon, path };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { ok: false, reason: `the native addon at ${path} failed to load: ${message}` };
  }
}
