import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readRegularFile, readTextFile } from '../io/readFile.js';
import { assertRunFolder, ensureRunFolder, removeInsideRunFolder, runFolderOf } from '../io/runMarker.js';
import { makeFolderChecked, renameChecked, writeFileChecked } from '../io/writeFile.js';
import { join } from 'node:path';
import type { AdaShareModel, AdaSharePolicy } from '../architectures/adashare.js';
import { disposeBatch, type ArrayDataset } from '../data/dataset.js';
import { MtlError, describeValue } from '../errors.js';
import type { GradientMode, WeightingMethod } from '../weighting/method.js';
import { methodStateFromJson, methodStateToJson } from '../weighting/stateJson.js';
import { Adam } from './optimizers/adam.js';
import type { Optimizer, OptimizerState } from './optimizers/optimizer.js';
import { Random, type RandomState } from '../random/random.js';
import { installSeededRandom, seededRandomState } from '../random/seededRandom.js';
import { assertFiniteLosses, trainStep } from './trainStep.js';

export interface AdaShareTrainingArgs {
  model: AdaShareModel;
  /** The split that trains the network weights (warm-up, weight phases, re-training). */
  train: ArrayDataset;
  /** The second split, which trains the policy logits in the policy phases. */
  policyData: ArrayDataset;
  /** Balancing method of the weight phases and the re-training. */
  method: WeightingMethod<unknown, unknown>;
  methodOptions: unknown;
  /** Optimizer of the network weights; its state is cleared before re-training from scratch. */
  optimizer: Optimizer;
  learningRate: number;
  batchSize: number;
  /** Epochs with every block executed, before the policy is learned. @defaultValue 5 */
  warmupEpochs?: number;
  /** Alternations of one weight phase (a pass over `train`) and one policy phase (a pass over `policyData`). @defaultValue 20 */
  searchEpochs?: number;
  /** Learning rate of the policy logits (Adam, as in the reference code). @defaultValue 0.01 */
  policyLearningRate?: number;
  /** τ is multiplied by this after every policy phase. @defaultValue 0.965 */
  temperatureDecay?: number;
  /**
   * Curriculum: the policy of the last block is learned from the first search epoch, and
   * one more block (going backwards) is unlocked every `curriculumSpeed` epochs.
   * @defaultValue 3
   */
  curriculumSpeed?: number;
  /** How the final policy is read from the logits. @defaultValue 'argmax' */
  policySelection?: 'argmax' | 'sample';
  /** Re-train the selected networks from fresh weights (the paper) or from the searched ones. @defaultValue true */
  retrainFromScratch?: boolean;
  /** Epochs of re-training after the policy is fixed (0: leave it to the caller, e.g. `fit`). @defaultValue 0 */
  retrainEpochs?: number;
  clipNorm?: number;
  gradientMode?: GradientMode;
  /** Seed of the data order. @defaultValue 0 */
  seed?: number;
  /** Where one line per phase goes. @defaultValue nothing */
  log?: (line: string) => void;
  /**
   * Folder of the search checkpoint (`runExperiment` uses `<runDir>/search-checkpoint`),
   * written atomically after every warm-up epoch and every weight and policy phase, and
   * once more when the search is done. @defaultValue none (no checkpoints)
   */
  checkpointDir?: string;
  /**
   * Continue from `checkpointDir`'s checkpoint: the search goes on exactly where it
   * stopped (a finished search is not repeated; the policy is selected and the network
   * re-built as an uninterrupted run would). An MtlError when there is no checkpoint or
   * it was written with other settings. @defaultValue false
   */
  resume?: boolean;
  /**
   * Settings besides this function's own that a checkpoint must have been written with
   * to be resumed, keyed by the path to name in the error (`runExperiment` passes the
   * experiment's encoder and AdaShare model options).
   */
  checkpointSettings?: Record<string, unknown>;
  /** Called after each search checkpoint is written (tests throw from it to simulate a killed run). */
  onCheckpoint?: (progress: AdaShareSearchProgress) => void;
}

/** Where the search stands, as a checkpoint records it. */
export interface AdaShareSearchProgress {
  /** Passes done, in the order warm-up epochs, then weight phase 1, policy phase 1, weight phase 2, ... */
  passesDone: number;
  /** warmupEpochs + 2 · searchEpochs. */
  totalPasses: number;
  finished: boolean;
  /** The checkpoint folder just written. */
  dir: string;
}

/** One pass of one phase. */
export interface AdaSharePhaseRecord {
  phase: 'warmup' | 'weights' | 'policy' | 'retrain';
  /** Index of the pass within its phase kind (search epoch for `weights` and `policy`). */
  epoch: number;
  /** Mean unweighted task losses of the pass. */
  losses: Record<string, number>;
  /** Mean sparsity + sharing loss (weighted) of a policy pass. */
  policyLoss?: number;
  temperature: number;
  unlockedBlocks: number;
  /** p(execute) per task and block after a policy pass. */
  executeProbabilities?: Record<string, number[]>;
}

export interface AdaShareTrainingResult {
  policy: AdaSharePolicy;
  /** The policy as a table, task × block (see `AdaShareModel.policyTable`). */
  table: string;
  /** p(execute) per task and block when the policy was selected. */
  executeProbabilities: Record<string, number[]>;
  history: AdaSharePhaseRecord[];
}

/**
 * The AdaShare schedule (Sun, Panda, Feris & Saenko, NeurIPS 2020):
 * 1. warm-up: `warmupEpochs` passes over `train` with every block executed;
 * 2. search: `searchEpochs` times, a weight phase (one pass over `train`, policies
 *    sampled by Gumbel-Softmax, only the network weights updated with `optimizer` and
 *    the balancing `method`) then a policy phase (one pass over `policyData`, only the
 *    logits updated, by their own Adam at `policyLearningRate`, on Σ_t w_t L_t plus the
 *    sparsity and sharing losses, w_t the weights of the last weight step); after each
 *    policy phase τ ← τ · `temperatureDecay`. Curriculum: at search epoch e the last
 *    min(L, ⌊e / curriculumSpeed⌋ + 1) blocks have a learned policy, the others are
 *    executed;
 * 3. the policy: argmax of the logits per block (or one sample), fixed with
 *    `model.finalize`, re-initialised unless `retrainFromScratch` is false;
 * 4. re-training of the selected per-task networks for `retrainEpochs` passes over `train`.
 *
 * Randomness: data order from `Random(seed)`; Gumbel noise, initialisation and dropout
 * from Math.random (install a seeded one with `installSeededRandom`).
 *
 * Checkpoints (with `checkpointDir`): after every warm-up epoch, weight phase and policy
 * phase, written atomically (a temporary folder swapped in): network weights, policy
 * logits, both optimizers' states, τ, curriculum and pass position, the weighting
 * method's state, the phase records and both random generators' states. `resume`
 * continues from the last complete one and ends exactly as an uninterrupted search.
 * The re-training passes of step 4 are not checkpointed: a resume after the search
 * repeats steps 3 and 4 from the final search checkpoint, which gives the same result.
 */
export function trainAdaShare(args: AdaShareTrainingArgs): AdaShareTrainingResult {
  const { model, train, policyData, method, optimizer, batchSize } = args;
  const warmupEpochs = count('warmupEpochs', args.warmupEpochs ?? 5, 0);
  const searchEpochs = count('searchEpochs', args.searchEpochs ?? 20, 0);
  const curriculumSpeed = count('curriculumSpeed', args.curriculumSpeed ?? 3, 1);
  const retrainEpochs = count('retrainEpochs', args.retrainEpochs ?? 0, 0);
  const decay = args.temperatureDecay ?? 0.965;
  if (!(decay > 0 && decay <= 1)) {
    throw new MtlError({ code: 'training.bad_option', path: 'adashare.temperatureDecay', expected: 'a number in (0, 1]', found: describeValue(decay) });
  }
  const gradientMode = args.gradientMode ?? 'parameters';
  if (gradientMode === 'representation') {
    throw new MtlError({
      code: 'config.incompatible',
      path: 'weighting.gradientMode',
      expected: '"parameters" for architecture "adashare" (each task has its own path, so there is no single shared representation)',
      found: '"representation"',
    });
  }
  if (model.phase === 'final') {
    throw new MtlError({ code: 'model.bad_phase', path: 'model', expected: 'an AdaShare model that has not been finalized', found: 'a finalized one' });
  }
  const log = args.log ?? (() => {});
  const tasks = model.tasks.map((t) => t.name);
  const context = { taskNames: tasks, seed: args.seed ?? 0 };
  const policyLearningRate = args.policyLearningRate ?? 0.01;
  const settings = searchSettings(args, { warmupEpochs, searchEpochs, curriculumSpeed, retrainEpochs, decay, gradientMode, policyLearningRate });
  const totalPasses = warmupEpochs + 2 * searchEpochs;
  const checkpointDir = args.checkpointDir;
  if (args.resume && !checkpointDir) {
    throw new MtlError({
      code: 'training.bad_option',
      path: 'adashare.checkpointDir',
      expected: 'the folder of the search checkpoint to resume',
      found: 'nothing',
      fix: 'pass checkpointDir with resume, or leave resume out',
    });
  }
  // Read (and check) the checkpoint before anything changes, so a refused resume leaves the model and the run folder as they were.
  // The folder holding the search checkpoint is a run folder: created and marked, or already ours.
  if (checkpointDir) ensureRunFolder(runFolderOf(checkpointDir), { adoptLegacy: args.resume ?? false, log });
  const saved = args.resume ? readSearchCheckpoint(checkpointDir!, settings, log) : null;
  let order = new Random(`${args.seed ?? 0}:adashare`);
  const policyOptimizer = new Adam();
  let history: AdaSharePhaseRecord[] = [];
  let methodState = saved ? null : method.init(context, args.methodOptions);
  let lastWeights = tasks.map(() => 1);
  let step = 0;
  let epochIndex = 0;
  let passesDone = 0;
  // The policy phase keeps the task weights of the last weight step fixed.
  const fixedWeights: WeightingMethod<unknown, unknown> = {
    name: 'adashare-policy',
    description: 'task weights of the last weight step',
    needs: 'losses',
    balancesScales: false,
    gradientModes: [],
    resolveOptions: () => ({}),
    init: () => null,
    update: (_input, state) => ({ weights: [...lastWeights], state }),
  };

  const pass = (phase: AdaSharePhaseRecord['phase'], epoch: number): AdaSharePhaseRecord => {
    const policy = phase === 'policy';
    const data = policy ? policyData : train;
    const sums: Record<string, number> = {};
    const counts: Record<string, number> = {};
    let auxSum = 0;
    let auxCount = 0;
    for (const batch of data.batches({ batchSize, random: order })) {
      let result;
      try {
        result = trainStep(batch, {
          model,
          optimizer: policy ? policyOptimizer : optimizer,
          method: policy ? fixedWeights : method,
          methodOptions: policy ? {} : args.methodOptions,
          methodState: policy ? null : methodState,
          lastWeights,
          learningRate: policy ? policyLearningRate : args.learningRate,
          ...(args.clipNorm !== undefined && !policy ? { clipNorm: args.clipNorm } : {}),
          gradientMode,
          epoch: epochIndex,
          step,
        });
      } finally {
        disposeBatch(batch);
      }
      assertFiniteLosses(result.losses, `adashare ${phase} epoch ${epoch + 1}`, 'lower the learning rate or clip gradients');
      for (const [t, v] of Object.entries(result.losses)) {
        sums[t] = (sums[t] ?? 0) + v;
        counts[t] = (counts[t] ?? 0) + 1;
      }
      if (result.auxiliary) {
        auxSum += result.auxiliary.value;
        auxCount += 1;
      }
      if (!policy) {
        methodState = result.methodState;
        lastWeights = result.weights;
        step += 1;
      }
    }
    const losses = Object.fromEntries(tasks.map((t) => [t, (sums[t] ?? NaN) / (counts[t] ?? NaN)]));
    if (!policy) {
      if (method.endEpoch) methodState = method.endEpoch(tasks.map((t) => losses[t]!), methodState, args.methodOptions);
      epochIndex += 1;
    }
    const record: AdaSharePhaseRecord = {
      phase,
      epoch,
      losses,
      ...(auxCount > 0 ? { policyLoss: auxSum / auxCount } : {}),
      temperature: model.temperature,
      unlockedBlocks: model.unlockedBlocks,
      ...(policy ? { executeProbabilities: model.executeProbabilities() } : {}),
    };
    history.push(record);
    log(
      `adashare ${phase} ${epoch + 1}: ` +
        tasks.map((t) => `${t} ${losses[t]!.toFixed(4)}`).join(', ') +
        (record.policyLoss !== undefined ? `, policy loss ${record.policyLoss.toFixed(4)}, τ ${model.temperature.toFixed(3)}` : ''),
    );
    return record;
  };

  try {
    model.setPhase('warmup');
    model.unlockedBlocks = model.blockCount;
    // Every network variable in a fixed order (their names differ between processes).
    const networkVariables = [...model.sharedVariables, ...tasks.flatMap((t) => model.taskVariables[t] ?? [])];
    const logitVariables = tasks.map((t) => model.policyLogits[t]!);
    const checkpoint = () => {
      if (!checkpointDir) return;
      const finished = passesDone === totalPasses;
      writeSearchCheckpoint(checkpointDir, {
        model,
        networkVariables,
        logitVariables,
        optimizer,
        policyOptimizer,
        state: {
          format: SEARCH_CHECKPOINT_FORMAT,
          settings,
          passesDone,
          totalPasses,
          finished,
          epochIndex,
          step,
          methodState: methodStateToJson(methodState),
          lastWeights,
          temperature: model.temperature,
          unlockedBlocks: model.unlockedBlocks,
          orderState: order.state(),
          ...(seededRandomState() ? { randomState: seededRandomState()! } : {}),
          history: history.map(encodeRecord),
        },
      });
      args.onCheckpoint?.({ passesDone, totalPasses, finished, dir: checkpointDir });
    };
    if (saved) {
      restoreSearchCheckpoint(saved, { model, networkVariables, logitVariables, optimizer, policyOptimizer });
      const s = saved.state;
      passesDone = s.passesDone;
      epochIndex = s.epochIndex;
      step = s.step;
      methodState = methodStateFromJson(s.methodState, `${join(saved.dir, STATE_FILE)}: methodState`);
      lastWeights = [...s.lastWeights];
      model.temperature = s.temperature;
      model.unlockedBlocks = s.unlockedBlocks;
      order = new Random(s.orderState);
      if (s.randomState) installSeededRandom(s.randomState);
      history = s.history.map(decodeRecord);
      log(
        s.finished
          ? `adashare: the search in ${saved.dir} is complete (${s.passesDone} passes); selecting the policy`
          : `adashare: resumed the search from ${saved.dir}: ${s.passesDone} of ${s.totalPasses} passes done`,
      );
    } else if (totalPasses === 0) {
      checkpoint();
    }
    while (passesDone < totalPasses) {
      if (passesDone < warmupEpochs) {
        model.setPhase('warmup');
        model.unlockedBlocks = model.blockCount;
        pass('warmup', passesDone);
      } else {
        const q = passesDone - warmupEpochs;
        const e = Math.floor(q / 2);
        // Curriculum: the last ⌊e / curriculumSpeed⌋ + 1 blocks have a learned policy.
        model.unlockedBlocks = Math.min(model.blockCount, Math.floor(e / curriculumSpeed) + 1);
        if (q % 2 === 0) {
          model.setPhase('weights');
          pass('weights', e);
        } else {
          model.setPhase('policy');
          pass('policy', e);
          model.temperature = model.temperature * decay;
        }
      }
      passesDone += 1;
      checkpoint();
    }
    model.setPhase('warmup');
  } finally {
    policyOptimizer.dispose();
  }
  const executeProbabilities = model.executeProbabilities();
  const policy = model.selectPolicy(args.policySelection ?? 'argmax');
  const fromScratch = args.retrainFromScratch ?? true;
  model.finalize(policy, { fromScratch });
  if (fromScratch) optimizer.dispose();
  log(model.policyTable());
  for (let e = 0; e < retrainEpochs; e++) pass('retrain', e);
  return { policy, table: model.policyTable(), executeProbabilities, history };
}

function count(key: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new MtlError({ code: 'training.bad_option', path: `adashare.${key}`, expected: `an integer ≥ ${min}`, found: describeValue(value) });
  }
  return value;
}

import { ADASHARE_SCHEDULE_KEYS } from './adashareSchedule.js';
export { ADASHARE_SCHEDULE_KEYS, resolveAdaShareSchedule, type AdaShareSchedule } from './adashareSchedule.js';

// ---------------------------------------------------------------------------------------
// Search checkpoints

/** Name of the search checkpoint folder in a run folder. */
export const SEARCH_CHECKPOINT_DIR = 'search-checkpoint';
const SEARCH_CHECKPOINT_FORMAT = 'mtl-adashare-search/1';
const TENSORS_FILE = 'tensors.bin';
const STATE_FILE = 'state.json';

/** Whether `dir` holds a search checkpoint (also one left half-replaced by a crash). */
export function hasSearchCheckpoint(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE)) || existsSync(join(`${dir}.old`, STATE_FILE));
}

interface SearchState {
  format: typeof SEARCH_CHECKPOINT_FORMAT;
  /** What the search was started with; a resume must match it. */
  settings: Record<string, unknown>;
  passesDone: number;
  totalPasses: number;
  finished: boolean;
  epochIndex: number;
  step: number;
  methodState: unknown;
  lastWeights: number[];
  temperature: number;
  unlockedBlocks: number;
  /** The data-order generator. */
  orderState: RandomState;
  /** The seeded Math.random (Gumbel noise, dropout, initialisation). */
  randomState?: RandomState;
  history: EncodedRecord[];
}

interface TensorEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  /** Byte offset in tensors.bin and number of elements. */
  offset: number;
  length: number;
}

interface SavedOptimizer {
  type: string;
  /** Keyed by the variable's position (`v<i>`), not by its tfjs name. */
  steps: Record<string, number>;
  /** Per variable key, per slot: the tensor entry's name. */
  slots: Record<string, Record<string, string>>;
}

interface StateFile extends SearchState {
  tensors: { file: string; bytes: number; checksum: number; entries: TensorEntry[] };
  optimizers: { weights: SavedOptimizer; policy: SavedOptimizer };
}

interface LoadedCheckpoint {
  dir: string;
  state: StateFile;
  tensors: Map<string, { dtype: TensorEntry['dtype']; shape: number[]; values: Float32Array | Int32Array }>;
}

interface CheckpointParts {
  model: AdaShareModel;
  networkVariables: readonly tf.Variable[];
  logitVariables: readonly tf.Variable[];
  optimizer: Optimizer;
  policyOptimizer: Optimizer;
}

/** The phase record with non-finite numbers (a task with no label in a pass) kept through JSON. */
type EncodedRecord = Omit<AdaSharePhaseRecord, 'losses' | 'policyLoss'> & { losses: Record<string, number | string>; policyLoss?: number | string };

const encodeNumber = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const decodeNumber = (v: number | string): number => (typeof v === 'string' ? Number(v) : v);

function encodeRecord(r: AdaSharePhaseRecord): EncodedRecord {
  return {
    ...r,
    losses: Object.fromEntries(Object.entries(r.losses).map(([t, v]) => [t, encodeNumber(v)])),
    ...(r.policyLoss !== undefined ? { policyLoss: encodeNumber(r.policyLoss) } : {}),
  };
}

function decodeRecord(r: EncodedRecord): AdaSharePhaseRecord {
  // The keys in the order `pass` writes them, so a resumed run's records serialise the same.
  return {
    phase: r.phase,
    epoch: r.epoch,
    losses: Object.fromEntries(Object.entries(r.losses).map(([t, v]) => [t, decodeNumber(v)])),
    ...(r.policyLoss !== undefined ? { policyLoss: decodeNumber(r.policyLoss) } : {}),
    temperature: r.temperature,
    unlockedBlocks: r.unlockedBlocks,
    ...(r.executeProbabilities !== undefined ? { executeProbabilities: r.executeProbabilities } : {}),
  };
}

/** Everything the search's course depends on, as plain JSON; a checkpoint is only resumed with the same. */
function searchSettings(
  args: AdaShareTrainingArgs,
  resolved: { warmupEpochs: number; searchEpochs: number; curriculumSpeed: number; retrainEpochs: number; decay: number; gradientMode: GradientMode; policyLearningRate: number },
): Record<string, unknown> {
  const own = {
    warmupEpochs: resolved.warmupEpochs,
    searchEpochs: resolved.searchEpochs,
    policyLearningRate: resolved.policyLearningRate,
    temperatureDecay: resolved.decay,
    curriculumSpeed: resolved.curriculumSpeed,
    policySelection: args.policySelection ?? 'argmax',
    retrainFromScratch: args.retrainFromScratch ?? true,
    retrainEpochs: resolved.retrainEpochs,
    learningRate: args.learningRate,
    batchSize: args.batchSize,
    seed: args.seed ?? 0,
    clipNorm: args.clipNorm ?? null,
    gradientMode: resolved.gradientMode,
    method: args.method.name,
    methodOptions: args.methodOptions ?? null,
    optimizer: args.optimizer.type,
    tasks: args.model.tasks.map((t) => t.name),
    blocks: args.model.blockCount,
    trainExamples: args.train.size,
    policyExamples: args.policyData.size,
  };
  return JSON.parse(JSON.stringify({ ...own, ...(args.checkpointSettings ?? {}) })) as Record<string, unknown>;
}

/** Where each setting lives in an experiment file, for the mismatch error. */
const SETTING_PATHS: Record<string, string> = {
  learningRate: 'training.optimizer.learningRate',
  batchSize: 'training.batchSize',
  seed: 'seed',
  clipNorm: 'training.clipNorm',
  gradientMode: 'weighting.gradientMode',
  method: 'weighting.method',
  methodOptions: 'weighting.options',
  optimizer: 'training.optimizer.type',
  tasks: 'tasks',
  blocks: 'model.encoder',
  trainExamples: 'data',
  policyExamples: 'data',
};

function settingPath(key: string): string {
  if ((ADASHARE_SCHEDULE_KEYS as readonly string[]).includes(key)) return `model.options.${key}`;
  return SETTING_PATHS[key] ?? key;
}

/** JSON with sorted object keys, so equal settings compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a over the bytes: a torn or damaged tensors.bin is not taken for a checkpoint. */
function checksum(bytes: Uint8Array): number {
  let h = 2166136261;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619);
  return h >>> 0;
}

/** Write a folder atomically (the same scheme as `replaceFolder`, synchronously): fill `<dir>.tmp`, then swap it in. */
function replaceFolderSync(dir: string, write: (tmp: string) => void): void {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  // Only inside a marked run folder (see io/runMarker.ts).
  const runDir = runFolderOf(dir);
  assertRunFolder(runDir, 'replace');
  // A crash mid-swap can leave the last checkpoint as <dir>.old only: put it back first.
  if (!existsSync(join(dir, STATE_FILE)) && existsSync(join(old, STATE_FILE))) {
    removeInsideRunFolder(runDir, dir);
    renameChecked(old, dir, 'the previous search checkpoint');
  }
  removeInsideRunFolder(runDir, tmp);
  makeFolderChecked(tmp);
  try {
    write(tmp);
  } catch (error) {
    try {
      removeInsideRunFolder(runDir, tmp);
    } catch {
      // Report the write's error.
    }
    throw error;
  }
  removeInsideRunFolder(runDir, old);
  if (existsSync(dir)) renameChecked(dir, old, 'the previous search checkpoint');
  renameChecked(tmp, dir, 'the new search checkpoint');
  removeInsideRunFolder(runDir, old);
}

function writeSearchCheckpoint(dir: string, parts: CheckpointParts & { state: SearchState }): void {
  const chunks: Uint8Array[] = [];
  const entries: TensorEntry[] = [];
  let bytes = 0;
  const add = (name: string, values: tf.TypedArray | ArrayLike<number>, shape: readonly number[], dtype: string) => {
    if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`adashare checkpoint: unsupported dtype ${dtype} of ${name}`);
    const typed = dtype === 'int32' ? Int32Array.from(values as ArrayLike<number>) : Float32Array.from(values as ArrayLike<number>);
    entries.push({ name, dtype, shape: [...shape], offset: bytes, length: typed.length });
    chunks.push(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    bytes += typed.byteLength;
  };
  parts.model.model.weights.forEach((w, i) => {
    const v = w.read();
    add(`network/${i}`, v.dataSync(), v.shape, v.dtype);
  });
  parts.logitVariables.forEach((v, i) => add(`logits/${i}`, v.dataSync(), v.shape, v.dtype));
  const packOptimizer = (prefix: string, optimizer: Optimizer, variables: readonly tf.Variable[]): SavedOptimizer => {
    const state = optimizer.getState();
    const index = new Map(variables.map((v, i) => [v.name, `v${i}`]));
    const key = (name: string) => {
      const k = index.get(name);
      if (k === undefined) throw new Error(`adashare checkpoint: the ${prefix} optimizer holds state of an unknown variable ${name}`);
      return k;
    };
    const steps: Record<string, number> = {};
    for (const [name, n] of Object.entries(state.steps)) steps[key(name)] = n;
    const slots: Record<string, Record<string, string>> = {};
    for (const [name, s] of Object.entries(state.slots)) {
      const k = key(name);
      slots[k] = {};
      for (const [slot, { shape, values }] of Object.entries(s)) {
        const entry = `${prefix}/${k}/${slot}`;
        add(entry, values, shape, 'float32');
        slots[k]![slot] = entry;
      }
    }
    return { type: optimizer.type, steps, slots };
  };
  const optimizers = {
    weights: packOptimizer('optimizer', parts.optimizer, parts.networkVariables),
    policy: packOptimizer('policyOptimizer', parts.policyOptimizer, parts.logitVariables),
  };
  const data = Buffer.concat(chunks);
  const file: StateFile = { ...parts.state, tensors: { file: TENSORS_FILE, bytes, checksum: checksum(data), entries }, optimizers };
  replaceFolderSync(dir, (tmp) => {
    writeFileChecked(join(tmp, TENSORS_FILE), data, 'the search checkpoint\'s tensors.bin');
    // state.json last: a folder without it is never read as a checkpoint.
    writeFileChecked(join(tmp, STATE_FILE), JSON.stringify(file), 'the search checkpoint\'s state.json');
  });
}

/** Read and verify one checkpoint folder; a string says why it is not a usable checkpoint. */
function tryReadFolder(dir: string): LoadedCheckpoint | string {
  const statePath = join(dir, STATE_FILE);
  if (!existsSync(statePath)) return 'no state.json';
  let state: StateFile;
  try {
    state = JSON.parse(readTextFile(statePath, { what: 'the search checkpoint\'s state.json' })) as StateFile;
  } catch {
    return 'state.json is not valid JSON';
  }
  if (state?.format !== SEARCH_CHECKPOINT_FORMAT || !state.tensors || !Array.isArray(state.tensors.entries)) return `not a ${SEARCH_CHECKPOINT_FORMAT} checkpoint`;
  // The tensors file is named by the checkpoint itself: only the name mtl writes is read.
  if (state.tensors.file !== TENSORS_FILE) return `state.json names the tensors file ${JSON.stringify(state.tensors.file)}, not ${TENSORS_FILE}`;
  const binPath = join(dir, state.tensors.file);
  if (!existsSync(binPath)) return `no ${state.tensors.file}`;
  let buf: Buffer;
  try {
    buf = readRegularFile(binPath, { what: 'the search checkpoint\'s tensors' });
  } catch (error) {
    return error instanceof MtlError ? `${error.path}: ${error.found}` : String(error);
  }
  if (buf.length !== state.tensors.bytes) return `${state.tensors.file} holds ${buf.length} bytes, not ${state.tensors.bytes}`;
  if (checksum(buf) !== state.tensors.checksum) return `${state.tensors.file} does not match its checksum`;
  const tensors: LoadedCheckpoint['tensors'] = new Map();
  for (const e of state.tensors.entries) {
    if (e.offset + e.length * 4 > buf.length) return `tensor ${e.name} lies outside ${state.tensors.file}`;
    const values = e.dtype === 'int32' ? new Int32Array(e.length) : new Float32Array(e.length);
    new Uint8Array(values.buffer).set(buf.subarray(e.offset, e.offset + e.length * 4));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, values });
  }
  return { dir, state, tensors };
}

/**
 * The last complete search checkpoint in `dir` (or `<dir>.old`, left by a crash while a
 * checkpoint was being swapped in; `<dir>.tmp` is never read), checked against the
 * settings of this call.
 */
function readSearchCheckpoint(dir: string, settings: Record<string, unknown>, log: (line: string) => void): LoadedCheckpoint {
  const old = `${dir}.old`;
  const main = tryReadFolder(dir);
  const loaded = typeof main !== 'string' ? main : existsSync(old) ? tryReadFolder(old) : main;
  if (typeof loaded === 'string') {
    const none = !existsSync(join(dir, STATE_FILE)) && !existsSync(join(old, STATE_FILE));
    throw new MtlError({
      code: none ? 'checkpoint.missing' : 'checkpoint.corrupt',
      path: dir,
      expected: 'an AdaShare search checkpoint (state.json and tensors.bin) to resume',
      found: none ? 'no checkpoint' : `no complete checkpoint (${typeof main === 'string' ? main : loaded})`,
      fix: 'start the run again without --resume (--force replaces the run folder)',
    });
  }
  const saved = loaded.state.settings ?? {};
  for (const key of new Set([...Object.keys(saved), ...Object.keys(settings)])) {
    if (canonical(saved[key]) !== canonical(settings[key])) {
      throw new MtlError({
        code: 'checkpoint.mismatch',
        path: settingPath(key),
        expected: `${canonical(saved[key])}, the value the AdaShare search checkpoint ${loaded.dir} was written with`,
        found: canonical(settings[key]),
        fix: 'resume with the experiment the run was started with, or start a new run (--force or another --run-dir)',
      });
    }
  }
  if (loaded.dir === old) {
    // The crash hit between the two renames: make the complete one the checkpoint again (the broken one is kept aside).
    log(`adashare: ${dir} is incomplete (${main as string}); using ${old}`);
    const runDir = runFolderOf(dir);
    assertRunFolder(runDir, 'repair');
    if (existsSync(dir)) {
      removeInsideRunFolder(runDir, `${dir}.broken`);
      renameChecked(dir, `${dir}.broken`, 'the incomplete search checkpoint');
    }
    renameChecked(old, dir, 'the previous search checkpoint');
    loaded.dir = dir;
  }
  return loaded;
}

/** Put a checkpoint's tensors into the model and optimizers; every shape is checked before anything changes. */
function restoreSearchCheckpoint(saved: LoadedCheckpoint, parts: CheckpointParts): void {
  const { model, networkVariables, logitVariables } = parts;
  const mismatch = (found: string) =>
    new MtlError({
      code: 'checkpoint.mismatch',
      path: saved.dir,
      expected: `a search checkpoint of this model (${model.model.weights.length} network tensors, ${logitVariables.length} policy logit tensors)`,
      found,
      fix: 'resume with the same experiment file the run was started with, or start a new run',
    });
  const sameShape = (name: string, shape: readonly number[]) => {
    const t = saved.tensors.get(name);
    return t !== undefined && tf.util.arraysEqual(t.shape, [...shape]);
  };
  const weights = model.model.weights;
  const networkCount = [...saved.tensors.keys()].filter((k) => k.startsWith('network/')).length;
  if (networkCount !== weights.length || weights.some((w, i) => !sameShape(`network/${i}`, w.shape as number[]))) {
    throw mismatch(`${networkCount} network tensors of other shapes`);
  }
  if (logitVariables.some((v, i) => !sameShape(`logits/${i}`, v.shape))) throw mismatch('policy logits of other shapes');
  const optimizerState = (s: SavedOptimizer, variables: readonly tf.Variable[], optimizer: Optimizer) => {
    if (s.type !== optimizer.type) throw mismatch(`a "${s.type}" optimizer where this run has "${optimizer.type}"`);
    const slots: OptimizerState['slots'] = {};
    for (const [key, entries] of Object.entries(s.slots)) {
      const i = Number(key.slice(1));
      const variable = variables[i];
      slots[key] = {};
      for (const [slot, name] of Object.entries(entries)) {
        if (!variable || !sameShape(name, variable.shape)) throw mismatch(`optimizer state ${name} of another shape`);
        const t = saved.tensors.get(name)!;
        slots[key]![slot] = { shape: t.shape, values: Float32Array.from(t.values) };
      }
    }
    for (const key of Object.keys(s.steps)) if (!variables[Number(key.slice(1))]) throw mismatch(`optimizer steps of an unknown variable ${key}`);
    return { steps: s.steps, slots };
  };
  const weightState = optimizerState(saved.state.optimizers.weights, networkVariables, parts.optimizer);
  const policyState = optimizerState(saved.state.optimizers.policy, logitVariables, parts.policyOptimizer);
  // Everything checked: now restore.
  const tensors = weights.map((_, i) => {
    const t = saved.tensors.get(`network/${i}`)!;
    return tf.tensor(t.values, t.shape, t.dtype);
  });
  model.model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
  logitVariables.forEach((v, i) => {
    const t = saved.tensors.get(`logits/${i}`)!;
    const value = tf.tensor(t.values, t.shape, t.dtype);
    v.assign(value);
    value.dispose();
  });
  const rename = (variables: readonly tf.Variable[]) => (key: string) => variables[Number(key.slice(1))]?.name;
  parts.optimizer.setState(weightState, rename(networkVariables));
  parts.policyOptimizer.setState(policyState, rename(logitVariables));
}
