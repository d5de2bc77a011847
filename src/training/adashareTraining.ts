import type { AdaShareModel, AdaSharePolicy } from '../architectures/adashare.js';
import { disposeBatch, type ArrayDataset } from '../data/dataset.js';
import { MtlError, describeValue } from '../errors.js';
import type { GradientMode, WeightingMethod } from '../weighting/method.js';
import { Adam } from './optimizers/adam.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { Random } from './random.js';
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
  const order = new Random(`${args.seed ?? 0}:adashare`);
  const policyOptimizer = new Adam();
  const history: AdaSharePhaseRecord[] = [];
  let methodState = method.init(context, args.methodOptions);
  let lastWeights = tasks.map(() => 1);
  let step = 0;
  let epochIndex = 0;
  // The policy phase keeps the task weights of the last weight step fixed.
  const fixedWeights: WeightingMethod<unknown, unknown> = {
    name: 'adashare-policy',
    description: 'task weights of the last weight step',
    needs: 'losses',
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
          learningRate: policy ? args.policyLearningRate ?? 0.01 : args.learningRate,
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
    for (let e = 0; e < warmupEpochs; e++) pass('warmup', e);
    for (let e = 0; e < searchEpochs; e++) {
      model.unlockedBlocks = Math.min(model.blockCount, Math.floor(e / curriculumSpeed) + 1);
      model.setPhase('weights');
      pass('weights', e);
      model.setPhase('policy');
      pass('policy', e);
      model.temperature = model.temperature * decay;
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

/** Keys of {@link AdaShareTrainingArgs} that an experiment file may set (under `model.options` of an `adashare` model). */
export const ADASHARE_SCHEDULE_KEYS = [
  'warmupEpochs',
  'searchEpochs',
  'policyLearningRate',
  'temperatureDecay',
  'curriculumSpeed',
  'policySelection',
  'retrainFromScratch',
  'retrainEpochs',
] as const;

export type AdaShareSchedule = Pick<AdaShareTrainingArgs, (typeof ADASHARE_SCHEDULE_KEYS)[number]>;

/**
 * The schedule options among an experiment file's `model.options` (other keys are
 * ignored), checked and with their defaults filled in; throws an MtlError naming the
 * option for a bad value.
 */
export function resolveAdaShareSchedule(options: Record<string, unknown> | undefined): Required<AdaShareSchedule> {
  const o = options ?? {};
  const integer = (key: string, defaultValue: number, min: number) => {
    const raw = o[key];
    if (raw === undefined) return defaultValue;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min) {
      throw new MtlError({ code: 'model.bad_option', path: `model.options.${key}`, expected: `an integer ≥ ${min}`, found: describeValue(raw), fix: `remove ${key} to use the default ${defaultValue}` });
    }
    return raw;
  };
  const number = (key: string, defaultValue: number, ok: (v: number) => boolean, expected: string) => {
    const raw = o[key];
    if (raw === undefined) return defaultValue;
    if (typeof raw !== 'number' || !Number.isFinite(raw) || !ok(raw)) {
      throw new MtlError({ code: 'model.bad_option', path: `model.options.${key}`, expected, found: describeValue(raw), fix: `remove ${key} to use the default ${defaultValue}` });
    }
    return raw;
  };
  const selection = o.policySelection ?? 'argmax';
  if (selection !== 'argmax' && selection !== 'sample') {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options.policySelection', expected: '"argmax" or "sample"', found: describeValue(selection) });
  }
  const scratch = o.retrainFromScratch ?? true;
  if (typeof scratch !== 'boolean') {
    throw new MtlError({ code: 'model.bad_option', path: 'model.options.retrainFromScratch', expected: 'true or false', found: describeValue(scratch) });
  }
  return {
    warmupEpochs: integer('warmupEpochs', 5, 0),
    searchEpochs: integer('searchEpochs', 20, 0),
    policyLearningRate: number('policyLearningRate', 0.01, (v) => v > 0, 'a number > 0'),
    temperatureDecay: number('temperatureDecay', 0.965, (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    curriculumSpeed: integer('curriculumSpeed', 3, 1),
    policySelection: selection,
    retrainFromScratch: scratch,
    retrainEpochs: integer('retrainEpochs', 0, 0),
  };
}
