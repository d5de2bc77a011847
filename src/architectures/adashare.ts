import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batchNorm.js';
import { MtlError, describeValue } from '../errors.js';
import type { Task } from '../tasks/task.js';
import type { EncoderSpec } from './encoders.js';
import { outputList } from './functionalModel.js';
import { buildHead } from './heads.js';
import { variablesOf, type MultiTaskModel } from './multiTaskModel.js';
import { applySymbolic, assertTasks, featureShape } from './stages.js';

export interface AdaShareArgs {
  tasks: readonly Task[];
  /** Input shape without the batch dimension. */
  inputShape: readonly number[];
  /**
   * The backbone, which must be made of residual blocks:
   * - `{ type: 'resnet', width, stages, blocksPerStage }`: a 3×3 stem, then the basic
   *   residual blocks of the resnet encoder (each one a policy decision), global
   *   average pooling;
   * - `{ type: 'mlp', hidden: [w_1, …, w_L] }`: a dense ReLU stem of width w_1, then one
   *   MLP residual block per entry: ReLU(dense(ReLU(dense(x))) + shortcut(x)), the
   *   shortcut a bias-free dense projection when the width changes (identity otherwise).
   */
  encoder: EncoderSpec;
  /** Weight of the sparsity loss. @defaultValue 0.001 */
  sparsityWeight?: number;
  /** Weight of the sharing loss. @defaultValue 0.05 */
  sharingWeight?: number;
  /** Initial Gumbel-Softmax temperature τ. @defaultValue 5 */
  temperature?: number;
  /**
   * Straight-through hard samples (one-hot forward, soft gradient) instead of soft
   * Gumbel-Softmax samples while searching. @defaultValue false
   */
  hardSampling?: boolean;
}

/**
 * What the network does:
 * - `warmup`: every block executed by every task (the plain residual network);
 * - `weights` / `policy`: each task samples its select-or-skip policy by Gumbel-Softmax
 *   on every forward pass; `weights` declares the network's variables (shared blocks,
 *   task heads), `policy` declares only the policy logits (one list per task) and adds
 *   the sparsity and sharing losses as the auxiliary loss;
 * - `final`: the fixed policy chosen by {@link AdaShareModel.finalize}; `model` is the
 *   per-task networks it selects, sharing their common prefixes.
 */
export type AdaSharePhase = 'warmup' | 'weights' | 'policy' | 'final';

/** A policy: per task, for each block, whether the task executes it (true) or skips it (false). */
export type AdaSharePolicy = Record<string, boolean[]>;

export interface AdaShareModel extends MultiTaskModel {
  /** Number of residual blocks L (policy decisions per task). */
  readonly blockCount: number;
  readonly phase: AdaSharePhase;
  /** Switch between the search phases (before {@link finalize}). */
  setPhase(phase: 'warmup' | 'weights' | 'policy'): void;
  /** The current Gumbel-Softmax temperature τ. */
  temperature: number;
  /**
   * Curriculum: how many of the last blocks have a learned policy; the blocks before them
   * are executed by every task, and their logits are left out of the sparsity loss.
   * @defaultValue blockCount
   */
  unlockedBlocks: number;
  /** The policy logits of each task, L×2 (column 0 = execute, column 1 = skip). */
  readonly policyLogits: Readonly<Record<string, tf.Variable>>;
  /** p(execute) per task and block, softmax of the logits (temperature 1). */
  executeProbabilities(): Record<string, number[]>;
  /** A policy from the logits: `argmax` per block, or one `sample` from softmax(logits). */
  selectPolicy(mode?: 'argmax' | 'sample'): AdaSharePolicy;
  /**
   * Fix the policy and enter the `final` phase. `fromScratch` (the paper's re-training)
   * builds the selected per-task networks with fresh weights; otherwise the searched
   * weights are kept. Blocks no task executes are disposed; a block part with batch norm
   * that runs on several input paths gets batch norm per path (see {@link adaShare}).
   * @defaultValue fromScratch true
   */
  finalize(policy: AdaSharePolicy, options?: { fromScratch?: boolean }): void;
  /** The fixed policy once {@link finalize} was called, otherwise null. */
  readonly policy: AdaSharePolicy | null;
  /** The policy (after finalize) or the p(execute) (before) as a text table, task × block. */
  policyTable(): string;
  /** The unweighted sparsity and sharing losses on the current logits. */
  policyLosses(): { sparsity: tf.Scalar; sharing: tf.Scalar };
  /** Dispose every variable the model holds (network weights and logits). */
  dispose(): void;
}

/** Name of the auxiliary loss in the policy phase. */
export const ADASHARE_POLICY_LOSS = 'adashare sparsity + sharing';

interface Block {
  /** F_l(x): the residual branch before the addition. */
  body: tf.LayersModel;
  /** The shortcut: null for the identity, a projection when the shape changes. */
  shortcut: tf.LayersModel | null;
}

interface Backbone {
  stem: tf.LayersModel;
  blocks: Block[];
  /** Global average pooling for conv backbones, none for MLPs. */
  tail: tf.LayersModel | null;
  heads: tf.LayersModel[];
  /**
   * Final phase: the batch-norm layers of a block part (body or projection shortcut) on
   * each input path after its first, keyed by {@link pathNormKey}; see {@link partPaths}.
   */
  pathNorms: Map<string, tf.layers.Layer[]>;
}

/**
 * AdaShare (Sun, Panda, Feris & Saenko, NeurIPS 2020): one residual network; every task
 * t learns a select-or-skip policy over its L blocks. While searching, task t's policy
 * u_t[l] ~ GumbelSoftmax(logits_t[l], τ) and block l computes
 *
 *   x_{l+1} = u_t[l,0] · B_l(x_l) + u_t[l,1] · s_l(x_l)
 *
 * (column 0 = execute, 1 = skip), with B_l(x) = ReLU(F_l(x) + s_l(x)) the residual block
 * and s_l its shortcut (the identity, or the block's projection when it changes the
 * shape, as in the reference code). The policy loss (auxiliary loss of the `policy`
 * phase) is
 *
 *   sparsityWeight · Σ_t mean_{unlocked l} CE(logits_t[l], skip)
 *   + sharingWeight · Σ_{i<j} Σ_{l=1..L} ((L − l)/L) · |logits_i[l,0] − logits_j[l,0]|
 *
 * (the paper's block index l = 1..L, so the last block's sharing weight is 0; the
 * reference code indexes from 0). The schedule (warm-up, alternating weight and policy
 * phases on two data splits, temperature decay, curriculum, final policy and
 * re-training) is driven by `trainAdaShare` in src/training/adashareTraining.ts.
 *
 * Declared split: while searching (`warmup`, `weights`) the stem and every block are
 * shared and each head belongs to its task; in the `policy` phase only the logits are
 * declared (task t's logits belong to t). After {@link AdaShareModel.finalize}: the stem
 * and projection shortcuts are shared, a block executed by two or more tasks is shared,
 * a block executed by one task belongs to it, and blocks no task executes are excluded
 * (and disposed).
 *
 * Batch norm in the final network: tasks whose decisions differ before block l feed it
 * different inputs. One set of batch-norm statistics would then have to normalise both at
 * inference, fitting neither (on Multi-(Fashion+MNIST), seed 2, a policy in which one
 * task skips the middle block reached 37.3 / 51.6% test accuracy with shared statistics
 * and 52.7 / 72.9% with statistics per path, the training losses the same). So a
 * block part (body or projection shortcut) with batch norm that runs on several input
 * paths gets batch-norm layers per path: its conv weights stay shared, each path has its
 * own scale, shift and statistics (the first path keeps the part's own layers; the others
 * start from their values), declared as the variables of the tasks on that path.
 * A policy with no such block (every task executing the same blocks) builds exactly the
 * hard-sharing network.
 *
 * @example
 * const model = adaShare({ tasks, inputShape: [8], encoder: { type: 'mlp', hidden: [16, 16, 16, 16] } });
 * await trainAdaShare({ model, train, policyData, ... });
 * console.log(model.policyTable());
 */
export function adaShare(args: AdaShareArgs): AdaShareModel {
  const { tasks, inputShape, encoder } = args;
  assertTasks(tasks);
  const sparsityWeight = nonNegative('sparsityWeight', args.sparsityWeight ?? 0.001);
  const sharingWeight = nonNegative('sharingWeight', args.sharingWeight ?? 0.05);
  let temperature = positive('temperature', args.temperature ?? 5);
  const hardSampling = args.hardSampling ?? false;
  checkEncoder(encoder, inputShape);

  let backbone = buildBackbone(encoder, inputShape, tasks);
  const L = backbone.blocks.length;
  const T = tasks.length;
  const logits: Record<string, tf.Variable> = {};
  // Equal logits, p(execute) = 0.5 for every block (the reference code starts at (0.5, 0.5)).
  for (const t of tasks) logits[t.name] = tf.tidy(() => tf.variable(tf.zeros([L, 2]), true, `adashare_logits_${t.name}_${uniqueId()}`));
  let phase: AdaSharePhase = 'warmup';
  let unlocked = L;
  let fixedPolicy: AdaSharePolicy | null = null;
  const modelCache = new Map<string, tf.LayersModel>();

  const policyKey = (p: AdaSharePolicy) => tasks.map((t) => p[t.name]!.map((e) => (e ? 1 : 0)).join('')).join('|');
  const allExecute = (): AdaSharePolicy => Object.fromEntries(tasks.map((t) => [t.name, new Array<boolean>(L).fill(true)]));
  const fixedModel = (p: AdaSharePolicy) => {
    const key = policyKey(p);
    let m = modelCache.get(key);
    if (!m) {
      m = buildFixedModel(backbone, tasks, p, inputShape);
      modelCache.set(key, m);
    }
    return m;
  };
  const currentModel = () => fixedModel(fixedPolicy ?? allExecute());

  const networkVariables = () => {
    const blocks = backbone.blocks.flatMap((b) => [...variablesOf(b.body), ...(b.shortcut ? variablesOf(b.shortcut) : [])]);
    return [...variablesOf(backbone.stem), ...blocks];
  };

  const sample = (taskLogits: tf.Variable): tf.Tensor2D => {
    const noise = new Float32Array(L * 2);
    for (let k = 0; k < noise.length; k++) {
      const u = Math.min(Math.max(Math.random(), 1e-10), 1 - 1e-10);
      noise[k] = -Math.log(-Math.log(u));
    }
    const soft = tf.softmax(tf.div(tf.add(taskLogits, tf.tensor2d(noise, [L, 2])), temperature)) as tf.Tensor2D;
    if (!hardSampling) return soft;
    const values = soft.dataSync();
    const hard = new Float32Array(L * 2);
    for (let l = 0; l < L; l++) hard[l * 2 + (values[l * 2]! >= values[l * 2 + 1]! ? 0 : 1)] = 1;
    // Straight-through: the value of `hard`, the gradient of `soft`.
    return tf.add(soft, tf.sub(tf.tensor2d(hard, [L, 2]), tf.tensor2d(values, [L, 2]))) as tf.Tensor2D;
  };

  const searchForward = (x: tf.Tensor, training: boolean): Record<string, tf.Tensor2D> => {
    const run = (m: tf.LayersModel, h: tf.Tensor) => m.apply(h, { training }) as tf.Tensor;
    const execute = (b: Block, h: tf.Tensor, s: tf.Tensor) => tf.relu(tf.add(run(b.body, h), s));
    const locked = L - unlocked;
    let h = run(backbone.stem, x);
    for (let l = 0; l < locked; l++) {
      const b = backbone.blocks[l]!;
      h = execute(b, h, b.shortcut ? run(b.shortcut, h) : h);
    }
    const out: Record<string, tf.Tensor2D> = {};
    tasks.forEach((t, i) => {
      const u = sample(logits[t.name]!);
      let ht = h;
      for (let l = locked; l < L; l++) {
        const b = backbone.blocks[l]!;
        const s = b.shortcut ? run(b.shortcut, ht) : ht;
        const uExecute = tf.reshape(tf.slice(u, [l, 0], [1, 1]), []);
        const uSkip = tf.reshape(tf.slice(u, [l, 1], [1, 1]), []);
        ht = tf.add(tf.mul(execute(b, ht, s), uExecute), tf.mul(s, uSkip));
      }
      if (backbone.tail) ht = run(backbone.tail, ht);
      out[t.name] = run(backbone.heads[i]!, ht) as tf.Tensor2D;
    });
    return out;
  };

  const policyLosses = () =>
    tf.tidy(() => {
      const locked = L - unlocked;
      const ce = tasks.map((t) =>
        unlocked === 0 ? tf.scalar(0) : tf.mean(tf.neg(tf.slice(tf.logSoftmax(logits[t.name]!), [locked, 1], [unlocked, 1]))),
      );
      const sparsity = tf.addN(ce) as tf.Scalar;
      const terms: tf.Tensor[] = [tf.scalar(0)];
      const layerWeights = tf.tensor1d(Array.from({ length: L }, (_, l) => (L - (l + 1)) / L));
      for (let i = 0; i < T; i++) {
        for (let j = i + 1; j < T; j++) {
          const a = tf.slice(logits[tasks[i]!.name]!, [0, 0], [L, 1]);
          const b = tf.slice(logits[tasks[j]!.name]!, [0, 0], [L, 1]);
          terms.push(tf.sum(tf.mul(layerWeights, tf.reshape(tf.abs(tf.sub(a, b)), [L]))));
        }
      }
      return { sparsity, sharing: tf.addN(terms) as tf.Scalar };
    });

  const executeProbabilities = () =>
    Object.fromEntries(
      tasks.map((t) => {
        const p = tf.tidy(() => tf.softmax(logits[t.name]!).dataSync());
        return [t.name, Array.from({ length: L }, (_, l) => p[l * 2]!)];
      }),
    );

  const usersOf = (p: AdaSharePolicy, l: number) => tasks.filter((t) => p[t.name]![l]);

  const disposeWeights = (layers: ReadonlyArray<{ weights: tf.LayerVariable[] }>) => {
    const seen = new Set<tf.LayerVariable>();
    for (const layer of layers) {
      for (const w of layer.weights) {
        if (!seen.has(w) && !isDisposed(w)) {
          seen.add(w);
          w.dispose();
        }
      }
    }
  };
  const disposePathNorms = (bb: Backbone) => {
    disposeWeights([...bb.pathNorms.values()].flat());
    bb.pathNorms.clear();
  };
  const disposeBackbone = (bb: Backbone, which?: (part: tf.LayersModel) => boolean) => {
    const parts = [bb.stem, ...bb.blocks.flatMap((b) => [b.body, ...(b.shortcut ? [b.shortcut] : [])]), ...(bb.tail ? [bb.tail] : []), ...bb.heads];
    disposeWeights(parts.filter((part) => !which || which(part)));
    // The per-path batch norm goes with the whole backbone only (it serves used blocks).
    if (!which) disposePathNorms(bb);
  };

  /**
   * The declared split after finalize: a variable used by two or more tasks is shared,
   * one used by a single task is that task's. A block part's conv/dense weights are used
   * by every task on any of its paths, a path's batch norm by the tasks on that path.
   */
  const finalSplit = () => {
    const p = fixedPolicy!;
    currentModel(); // builds the per-path batch norm
    const shared: tf.Variable[] = [...variablesOf(backbone.stem)];
    const own: Record<string, tf.Variable[]> = Object.fromEntries(tasks.map((t) => [t.name, []]));
    const assign = (vars: tf.Variable[], users: readonly Task[]) => {
      if (users.length >= 2) shared.push(...vars);
      else if (users.length === 1) own[users[0]!.name]!.push(...vars);
    };
    backbone.blocks.forEach((b, l) => {
      for (const [which, part] of [['shortcut', b.shortcut], ['body', b.body]] as const) {
        if (!part) continue;
        const paths = partPaths(tasks, p, l, which);
        const users = paths.flatMap((q) => q.tasks);
        if (users.length === 0) continue; // a block no task executes (disposed)
        if (!needsPathNorms(part, paths)) {
          assign(variablesOf(part), users);
          continue;
        }
        const layers = chainLayers(part);
        assign(layers.filter((layer) => !isBatchNorm(layer)).flatMap(variablesOf), users);
        paths.forEach((q, j) => {
          const norms = j === 0 ? layers.filter(isBatchNorm) : backbone.pathNorms.get(pathNormKey(l, which, q.key))!;
          assign(norms.flatMap(variablesOf), q.tasks);
        });
      }
    });
    tasks.forEach((t, i) => own[t.name]!.push(...variablesOf(backbone.heads[i]!)));
    return { shared, own };
  };

  const self: AdaShareModel = {
    architecture: 'adashare',
    tasks,
    blockCount: L,
    get model() {
      return currentModel();
    },
    get phase() {
      return phase;
    },
    setPhase(next) {
      if (phase === 'final') {
        throw new MtlError({
          code: 'model.bad_phase',
          path: 'adashare.phase',
          expected: 'a search phase before the policy is fixed',
          found: `"${next}" after finalize()`,
          fix: 'build a new model to search again',
        });
      }
      phase = next;
    },
    get temperature() {
      return temperature;
    },
    set temperature(value: number) {
      temperature = positive('temperature', value);
    },
    get unlockedBlocks() {
      return unlocked;
    },
    set unlockedBlocks(value: number) {
      if (!Number.isInteger(value) || value < 0 || value > L) {
        throw new MtlError({ code: 'model.bad_option', path: 'adashare.unlockedBlocks', expected: `an integer from 0 to ${L}`, found: describeValue(value) });
      }
      unlocked = value;
    },
    policyLogits: logits,
    get sharedVariables() {
      if (phase === 'policy') return [];
      if (phase !== 'final') return networkVariables();
      return finalSplit().shared;
    },
    get taskVariables() {
      if (phase === 'final') return finalSplit().own;
      const out: Record<string, tf.Variable[]> = {};
      tasks.forEach((t, i) => {
        out[t.name] = phase === 'policy' ? [logits[t.name]!] : variablesOf(backbone.heads[i]!);
      });
      return out;
    },
    forward(x, training) {
      if (phase === 'weights' || phase === 'policy') return searchForward(x, training);
      const outputs = outputList(currentModel().apply(x, { training }) as tf.Tensor | tf.Tensor[]);
      return Object.fromEntries(tasks.map((t, i) => [t.name, outputs[i] as tf.Tensor2D]));
    },
    auxiliaryLoss() {
      if (phase !== 'policy') return null;
      const value = tf.tidy(() => {
        const { sparsity, sharing } = policyLosses();
        return tf.add(tf.mul(sparsity, sparsityWeight), tf.mul(sharing, sharingWeight)) as tf.Scalar;
      });
      return { name: ADASHARE_POLICY_LOSS, value };
    },
    parameterCount: () => currentModel().countParams(),
    executeProbabilities,
    selectPolicy(mode = 'argmax') {
      const p = executeProbabilities();
      return Object.fromEntries(tasks.map((t) => [t.name, p[t.name]!.map((q) => (mode === 'argmax' ? q >= 0.5 : Math.random() < q))]));
    },
    finalize(policy, options = {}) {
      for (const t of tasks) {
        const row = policy[t.name];
        if (!row || row.length !== L || row.some((v) => typeof v !== 'boolean')) {
          throw new MtlError({
            code: 'model.bad_policy',
            path: `policy.${t.name}`,
            expected: `${L} booleans (execute or skip each block)`,
            found: describeValue(row),
          });
        }
      }
      fixedPolicy = Object.fromEntries(tasks.map((t) => [t.name, [...policy[t.name]!]]));
      modelCache.clear();
      disposePathNorms(backbone);
      if (options.fromScratch ?? true) {
        disposeBackbone(backbone);
        backbone = buildBackbone(encoder, inputShape, tasks);
      }
      const unused = new Set(backbone.blocks.filter((_, l) => usersOf(fixedPolicy!, l).length === 0).map((b) => b.body));
      disposeBackbone(backbone, (part) => unused.has(part));
      phase = 'final';
    },
    get policy() {
      return fixedPolicy;
    },
    policyTable() {
      const names = tasks.map((t) => t.name);
      const nameWidth = Math.max(4, ...names.map((n) => n.length));
      const header = ['task'.padEnd(nameWidth), ...Array.from({ length: L }, (_, l) => `b${l + 1}`.padStart(5)), fixedPolicy ? '  executed' : ''];
      const lines = [header.join(' ').trimEnd()];
      const probabilities = fixedPolicy ? null : executeProbabilities();
      for (const t of tasks) {
        const cells = Array.from({ length: L }, (_, l) =>
          (fixedPolicy ? (fixedPolicy[t.name]![l] ? 'run' : 'skip') : probabilities![t.name]![l]!.toFixed(2)).padStart(5),
        );
        const count = fixedPolicy ? `  ${fixedPolicy[t.name]!.filter(Boolean).length}/${L}` : '';
        lines.push([t.name.padEnd(nameWidth), ...cells, count].join(' ').trimEnd());
      }
      return (fixedPolicy ? 'AdaShare policy (run = execute the block, skip = skip it)\n' : 'AdaShare p(execute) per block\n') + lines.join('\n');
    },
    policyLosses,
    dispose() {
      modelCache.clear();
      disposeBackbone(backbone);
      for (const v of Object.values(logits)) v.dispose();
    },
  };
  return self;
}

function isDisposed(w: tf.LayerVariable): boolean {
  try {
    w.read();
    return false;
  } catch {
    return true;
  }
}

let counter = 0;
function uniqueId(): number {
  return counter++;
}

function nonNegative(key: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new MtlError({ code: 'model.bad_option', path: `model.options.${key}`, expected: 'a finite number ≥ 0', found: describeValue(value) });
  }
  return value;
}

function positive(key: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new MtlError({ code: 'model.bad_option', path: `model.options.${key}`, expected: 'a finite number > 0', found: describeValue(value) });
  }
  return value;
}

function checkEncoder(encoder: EncoderSpec, inputShape: readonly number[]): void {
  const type = (encoder as { type?: unknown } | undefined)?.type;
  if (type !== 'mlp' && type !== 'resnet') {
    throw new MtlError({
      code: 'model.bad_encoder',
      path: 'model.encoder.type',
      expected: 'an encoder made of residual blocks for architecture "adashare": "resnet" (images) or "mlp" (vectors, built as MLP residual blocks)',
      found: describeValue(type),
      fix: 'use { type: "resnet", ... } for images or { type: "mlp", hidden: [...] } for vectors',
    });
  }
  if (type === 'resnet' && inputShape.length !== 3) {
    throw new MtlError({
      code: 'model.bad_encoder',
      path: 'model.encoder.type',
      expected: 'image inputs of shape [height, width, channels] for the resnet encoder',
      found: `inputs of shape [${inputShape.join(', ')}]`,
      fix: 'use the mlp encoder for vector inputs',
    });
  }
  if (type === 'mlp') {
    const hidden = (encoder as { hidden?: unknown }).hidden;
    if (!Array.isArray(hidden) || hidden.length === 0 || hidden.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new MtlError({
        code: 'model.bad_encoder',
        path: 'model.encoder.hidden',
        expected: 'a non-empty list of positive layer widths, one residual block each, e.g. [32, 32, 32, 32]',
        found: describeValue(hidden),
      });
    }
  }
}

function subModel(inputShape: readonly number[], name: string, build: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape: [...inputShape] });
  return tf.model({ inputs: input, outputs: build(input), name });
}

const sym = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor;

function buildBackbone(encoder: EncoderSpec, inputShape: readonly number[], tasks: readonly Task[]): Backbone {
  const blocks: Block[] = [];
  let stem: tf.LayersModel;
  let shape: number[];
  let tail: tf.LayersModel | null = null;
  if (encoder.type === 'resnet') {
    const width = encoder.width ?? 16;
    const stageCount = encoder.stages ?? 3;
    const perStage = encoder.blocksPerStage ?? 1;
    stem = subModel(inputShape, 'adashare_stem', (x) => {
      const h = sym(tf.layers.conv2d({ filters: width, kernelSize: 3, padding: 'same', useBias: false }), x);
      return sym(tf.layers.reLU(), sym(batchNormalization(), h));
    });
    shape = featureShape(stem.outputs[0]!);
    for (let s = 0; s < stageCount; s++) {
      const filters = width * 2 ** s;
      for (let b = 0; b < perStage; b++) {
        const strides = s > 0 && b === 0 ? 2 : 1;
        const l = blocks.length;
        const body = subModel(shape, `adashare_block${l}`, (x) => {
          let h = sym(tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false }), x);
          h = sym(tf.layers.reLU(), sym(batchNormalization(), h));
          h = sym(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false }), h);
          return sym(batchNormalization(), h);
        });
        const shortcut =
          strides !== 1 || shape[2] !== filters
            ? subModel(shape, `adashare_block${l}_shortcut`, (x) =>
                sym(batchNormalization(), sym(tf.layers.conv2d({ filters, kernelSize: 1, strides, useBias: false }), x)),
              )
            : null;
        blocks.push({ body, shortcut });
        shape = featureShape(body.outputs[0]!);
      }
    }
    tail = subModel(shape, 'adashare_pool', (x) => sym(tf.layers.globalAveragePooling2d({}), x));
    shape = featureShape(tail.outputs[0]!);
  } else if (encoder.type === 'mlp') {
    const hidden = encoder.hidden;
    const dropout = encoder.dropout ?? 0;
    stem = subModel(inputShape, 'adashare_stem', (x) => {
      const h = inputShape.length > 1 ? sym(tf.layers.flatten(), x) : x;
      return sym(tf.layers.dense({ units: hidden[0]!, activation: 'relu' }), h);
    });
    shape = featureShape(stem.outputs[0]!);
    for (const units of hidden) {
      const l = blocks.length;
      const body = subModel(shape, `adashare_block${l}`, (x) => {
        let h = sym(tf.layers.dense({ units, activation: 'relu' }), x);
        if (dropout > 0) h = sym(tf.layers.dropout({ rate: dropout }), h);
        return sym(tf.layers.dense({ units }), h);
      });
      const shortcut = shape[0] !== units ? subModel(shape, `adashare_block${l}_shortcut`, (x) => sym(tf.layers.dense({ units, useBias: false }), x)) : null;
      blocks.push({ body, shortcut });
      shape = [units];
    }
  } else {
    throw new Error('unreachable: checked by checkEncoder');
  }
  const heads = tasks.map((t) => buildHead(t, shape));
  return { stem, blocks, tail, heads, pathNorms: new Map() };
}

type BlockPart = 'body' | 'shortcut';

/**
 * The distinct inputs of block l's body (the tasks that execute it) or shortcut (every
 * task: skipping a block is its shortcut) under a fixed policy: tasks whose decisions
 * before l agree compute the same input. Each path with the tasks on it, in task order.
 */
function partPaths(tasks: readonly Task[], policy: AdaSharePolicy, l: number, part: BlockPart): Array<{ key: string; tasks: Task[] }> {
  const paths: Array<{ key: string; tasks: Task[] }> = [];
  for (const t of tasks) {
    if (part === 'body' && !policy[t.name]![l]) continue;
    const key = policy[t.name]!.slice(0, l).map((e) => (e ? '1' : '0')).join('');
    const path = paths.find((q) => q.key === key);
    if (path) path.tasks.push(t);
    else paths.push({ key, tasks: [t] });
  }
  return paths;
}

const pathNormKey = (l: number, part: BlockPart, key: string) => `${l}/${part}/${key}`;

const isBatchNorm = (layer: tf.layers.Layer) => layer.getClassName() === 'BatchNormalization';

/** The layers of a block part after its input, in order (the parts are chains: conv/dense, batch norm, activation, …). */
const chainLayers = (part: tf.LayersModel) => part.layers.filter((layer) => layer.getClassName() !== 'InputLayer');

/** Whether a part runs on more than one input path with batch norm inside, so that it needs a set of batch-norm layers per path. */
const needsPathNorms = (part: tf.LayersModel, paths: readonly unknown[]) => paths.length > 1 && chainLayers(part).some(isBatchNorm);

/** The network of a fixed policy: tasks with the same decisions so far share the same tensors. */
function buildFixedModel(bb: Backbone, tasks: readonly Task[], policy: AdaSharePolicy, inputShape: readonly number[]): tf.LayersModel {
  const input = tf.input({ shape: [...inputShape] });
  const stem = applySymbolic(bb.stem, input);
  const memo = new Map<string, tf.SymbolicTensor>();
  const once = (key: string, make: () => tf.SymbolicTensor) => {
    let v = memo.get(key);
    if (!v) {
      v = make();
      memo.set(key, v);
    }
    return v;
  };
  // A part used on several input paths with batch norm inside is applied layer by layer
  // on every path (its conv/dense layers shared), each path after the first with batch-norm
  // layers of its own, created here once, starting from the first path's values.
  const applyPart = (part: tf.LayersModel, l: number, which: BlockPart, key: string, x: tf.SymbolicTensor): tf.SymbolicTensor => {
    const paths = partPaths(tasks, policy, l, which);
    if (!needsPathNorms(part, paths)) return applySymbolic(part, x);
    const layers = chainLayers(part);
    const originals = layers.filter(isBatchNorm);
    const first = key === paths[0]!.key;
    const k = pathNormKey(l, which, key);
    const created = !first && !bb.pathNorms.has(k);
    if (created) bb.pathNorms.set(k, originals.map(() => batchNormalization()));
    const norms = first ? originals : bb.pathNorms.get(k)!;
    let h = x;
    let n = 0;
    for (const layer of layers) h = sym(isBatchNorm(layer) ? norms[n++]! : layer, h);
    // Built by the calls above; a new path's layers start from the first path's values.
    if (created) tf.tidy(() => norms.forEach((c, j) => c.setWeights(originals[j]!.getWeights().map((w) => w.clone()))));
    return h;
  };
  const outputs = tasks.map((t, i) => {
    let h = stem;
    let key = '';
    bb.blocks.forEach((b, l) => {
      const x = h;
      const before = key;
      const s = b.shortcut ? once(`${key}/s`, () => applyPart(b.shortcut!, l, 'shortcut', before, x)) : x;
      const execute = policy[t.name]![l]!;
      key += execute ? '1' : '0';
      h = execute ? once(key, () => sym(tf.layers.reLU(), tf.layers.add().apply([applyPart(b.body, l, 'body', before, x), s]) as tf.SymbolicTensor)) : s;
    });
    if (bb.tail) h = once(`${key}/pool`, () => applySymbolic(bb.tail!, h));
    return applySymbolic(bb.heads[i]!, h);
  });
  return tf.model({ inputs: input, outputs, name: 'mtl_adashare' });
}
