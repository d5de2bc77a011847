import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { disposeBatch, type Batch, type Dataset } from '../data/dataset.js';
import { MtlError } from '../errors.js';
import { evaluate, type Evaluation } from '../evaluation/evaluate.js';
import type { GradientMode, WeightingMethod } from '../weighting/method.js';
import { applyCheckpoint, type TrainingPosition } from './checkpointState.js';
import type { RunStore } from './runStore.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { ProgressBar, formatSeconds } from './progress.js';
import { Random } from '../random/random.js';
import { learningRateAt, type ScheduleSpec } from './schedules.js';
import { installSeededRandom, seededRandomState } from '../random/seededRandom.js';
import { trainStep } from './trainStep.js';
import { DivergenceError, divergenceError } from './divergence.js';
import { settingAt, type SettingChange } from './settingChanges.js';
import { checkMethodStateShape } from '../weighting/stateJson.js';
import { formatFigure, isDefined, undefinedReason } from '../evaluation/undefinedMetrics.js';
import { BATCH_NORM_RECALIBRATION_BATCHES, recalibrateBatchNorm } from './batchNormRecalibration.js';
import { checkLabels } from '../tasks/checkLabels.js';
import { checkMonitoredMetric } from './monitoredMetric.js';
import { checkTaskScales } from './scaleCheck.js';
import { architectureRecord } from './architectureRecord.js';

/** Stop when a validation metric has not improved for `patience` epochs. */
export interface EarlyStoppingSpec {
  /** `<task>/<metric>` (e.g. `left/accuracy`), `<task>/loss`, `mean/<metric>` (mean over tasks) or `loss` (sum of task losses). */
  metric: string;
  /** @defaultValue 10 */
  patience?: number;
  /** Smallest change that counts as an improvement. @defaultValue 0 */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends. @defaultValue true */
  restoreBest?: boolean;
}

/** What {@link FitLoopArgs.beforeStep} sees: the step about to run on `batch`. */
export interface StepContext {
  batch: Batch;
  model: MultiTaskModel;
  optimizer: Optimizer;
  /** This step's learning rate (after the schedule). */
  learningRate: number;
  /** Steps done before this one. */
  step: number;
  epoch: number;
}

export interface FitLoopArgs {
  model: MultiTaskModel;
  train: Dataset;
  /** Evaluated after every epoch (metrics logged; early stopping reads it). */
  evaluation?: Dataset;
  method: WeightingMethod<unknown, unknown>;
  methodOptions: unknown;
  optimizer: Optimizer;
  learningRate: number;
  schedule?: ScheduleSpec;
  epochs: number;
  batchSize: number;
  clipNorm?: number;
  gradientMode?: GradientMode;
  seed: number;
  earlyStopping?: EarlyStoppingSpec;
  /**
   * Where the run's checkpoint, metrics log and best weights are kept (see {@link RunStore}):
   * in Node `fit({ runDir })` uses a run folder; in a browser an {@link IndexedDbRunStore}
   * or a {@link MemoryRunStore}. Without one nothing is kept and `resume` is refused.
   */
  store?: RunStore;
  /** Also checkpoint every this many steps inside an epoch (every epoch end always). */
  checkpointEverySteps?: number;
  /** Continue from the run folder's checkpoint. */
  resume?: boolean;
  /**
   * Before each evaluation (and so in the saved model), recompute the batch-norm moving
   * statistics over this many training batches with dropout off ({@link recalibrateBatchNorm});
   * 0 keeps the moving averages of training. Models without batch norm are unaffected.
   * @defaultValue 32
   */
  batchNormRecalibration?: number;
  /** Log the Gramian-based diagnostics (gradient norms, cosines) every this many steps. @defaultValue 0 (off) */
  diagnosticsEvery?: number;
  /** Show the terminal progress bar. @defaultValue true */
  progress?: boolean;
  /** Where epoch lines go. @defaultValue console.log */
  log?: (line: string) => void;
  /** Stop after this many steps of this call (tests use it to simulate a killed run). */
  stopAfterSteps?: number;
  /**
   * Changes of `learningRate` / `epochs` made when the run was resumed (see
   * settingChanges.ts): `learningRate` and `epochs` are the current values, and each
   * change says from which step it holds, so the learning rate and the schedule at
   * every step are those of the run as it happened.
   */
  changes?: readonly SettingChange[];
  /**
   * Called before every training step with its batch (task affinity is recorded this way).
   * It must leave the model, the optimizer and the seeded random stream as it found them,
   * so that training follows the same trajectory with or without it.
   */
  beforeStep?: (context: StepContext) => void;
  /**
   * Called after every training step with that step's numbers (already read from the
   * device by the step: calling it costs no tensor read). Return `'stop'` (or a promise
   * of it) to end training after this step, as `signal` does.
   */
  onStepEnd?: (info: StepEndInfo) => FitCallbackResult;
  /**
   * Called after every epoch with its record (the same object that is logged, returned
   * in `history` and written to the metrics log), after early stopping has judged it.
   * Return `'stop'` (or a promise of it) to end training there, as early stopping does:
   * the run counts as finished (`stoppedEarly`, reason `'callback'`), the best weights
   * are restored when early stopping kept them.
   */
  onEpochEnd?: (record: EpochRecord) => FitCallbackResult;
  /**
   * Aborting it pauses training before the next step (after the step in progress; when
   * that step ends an epoch, after the epoch's evaluation and record), as an
   * interruption: the checkpoint holds that point (when a store is given) and `resume`
   * continues from it exactly (`interrupted`, reason `'signal'`).
   */
  signal?: AbortSignal;
}

/** What a {@link FitLoopArgs.onStepEnd} or {@link FitLoopArgs.onEpochEnd} callback may return: `'stop'` ends training. */
export type FitCallbackResult = void | 'stop' | Promise<void | 'stop'>;

/** What {@link FitLoopArgs.onStepEnd} sees after each step. */
export interface StepEndInfo {
  /** 0-based epoch of the step. */
  epoch: number;
  /** Steps done, this one included. */
  step: number;
  /** Batches done in this epoch, this one included, and batches per epoch. */
  batch: number;
  batches: number;
  /** The learning rate the step used. */
  learningRate: number;
  /** This step's unweighted loss per task. */
  losses: Record<string, number>;
  /** This step's task weights. */
  weights: Record<string, number>;
}

export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  step: number;
  learningRate: number;
  /** Epoch-mean unweighted training loss per task. */
  trainLoss: Record<string, number>;
  weights: Record<string, number>;
  evaluation?: Evaluation;
  seconds: number;
  stepsPerSecond: number;
}

export interface FitResult {
  history: EpochRecord[];
  /** Evaluation of the final weights (the best epoch's when early stopping restored them). */
  evaluation?: Evaluation;
  best?: { value: number; epoch: number };
  stoppedEarly: boolean;
  /** True when training stopped inside an epoch (`stopAfterSteps`, `signal`, `onStepEnd`); `resume` continues it. */
  interrupted: boolean;
  /** Why training ended before `epochs`: early stopping, a callback's `'stop'`, the abort signal, or `stopAfterSteps`. */
  stopReason?: 'earlyStopping' | 'callback' | 'signal' | 'stopAfterSteps';
  steps: number;
}

/** Read a monitored value out of an evaluation (see {@link EarlyStoppingSpec.metric}); returns it with its direction. */
export function monitoredValue(evaluation: Evaluation, metric: string): { value: number; higherIsBetter: boolean } {
  const tasks = Object.keys(evaluation);
  if (metric === 'loss') return { value: tasks.reduce((s, t) => s + evaluation[t]!.loss, 0), higherIsBetter: false };
  const [scope, name] = metric.split('/');
  const lookup = (task: string) => {
    const e = evaluation[task]!;
    if (name === 'loss') return e.loss;
    const v = e.metrics[name!];
    if (v === undefined) {
      throw new MtlError({
        code: 'config.unknown_metric',
        path: 'training.earlyStopping.metric',
        expected: `a metric of task "${task}": one of [loss, ${Object.keys(e.metrics).join(', ')}]`,
        found: `"${name}"`,
      });
    }
    return v;
  };
  const higherIsBetter = !(name === 'loss' || name === 'mse' || name === 'rmse' || name === 'mae');
  if (scope === 'mean') return { value: tasks.reduce((s, t) => s + lookup(t), 0) / tasks.length, higherIsBetter };
  if (scope === undefined || !tasks.includes(scope) || name === undefined) {
    throw new MtlError({
      code: 'config.unknown_metric',
      path: 'training.earlyStopping.metric',
      expected: `"loss", "mean/<metric>" or "<task>/<metric>" with a task in [${tasks.join(', ')}]`,
      found: `"${metric}"`,
    });
  }
  return { value: lookup(scope), higherIsBetter };
}

/**
 * Train a multi-task model: shuffled mini-batches (a fresh permutation per epoch drawn
 * from the seed), the weighting method and optimizer per step, the learning-rate
 * schedule, evaluation after every epoch, early stopping, callbacks, and, with a
 * {@link RunStore}, the metrics log, atomic checkpoints and exact resumption from one.
 * It imports nothing from Node: this is the `fit` of the browser entry
 * (`tfjs-multitask/browser`); Node's `fit` (training/fit.ts) adds `runDir`, a run folder.
 *
 * Reproducibility: data order comes from `Random(seed, epoch)`; every other random draw
 * (initialisation, dropout) from the seeded Math.random that the caller installs with
 * `installSeededRandom(seed)` before building the model; its state is checkpointed.
 *
 * @example
 * const result = await fitLoop({
 *   model, train, evaluation, method: getWeightingMethod('dwa'), methodOptions: {}, optimizer: new Adam(),
 *   learningRate: 1e-3, epochs: 10, batchSize: 64, seed: 1,
 *   store: new MemoryRunStore('demo'),
 *   onEpochEnd: (record) => (record.evaluation?.price?.loss ?? Infinity) < 0.1 ? 'stop' : undefined,
 * });
 */
export async function fitLoop(args: FitLoopArgs): Promise<FitResult> {
  const { model, train, method, optimizer, epochs, batchSize } = args;
  const log = args.log ?? ((line: string) => console.log(line));
  const tasks = model.tasks.map((t) => t.name);
  const gradientMode = args.gradientMode ?? method.gradientModes[0] ?? 'parameters';
  if (method.needs !== 'losses' && !method.gradientModes.includes(gradientMode)) {
    throw new MtlError({
      code: 'config.incompatible',
      path: 'weighting.gradientMode',
      expected: `one of [${method.gradientModes.join(', ')}] for method "${method.name}"`,
      found: `"${gradientMode}"`,
    });
  }
  if (method.needs !== 'losses' && gradientMode === 'representation' && !model.representation) {
    throw new MtlError({
      code: 'config.incompatible',
      path: 'weighting.gradientMode',
      expected: `"parameters" for architecture "${model.architecture}" (representation gradients need one shared representation that every head reads, as in hard sharing)`,
      found: '"representation"',
      fix: method.gradientModes.includes('parameters') ? 'set gradientMode: parameters' : `use hard sharing with "${method.name}"`,
    });
  }
  if (method.needs !== 'losses' && model.sharedVariables.length === 0) {
    throw new MtlError({
      code: 'config.incompatible',
      path: 'weighting.method',
      expected: `a model with shared parameters for the gradient method "${method.name}"`,
      found: `architecture "${model.architecture}" with none`,
      fix: 'use a loss-based method (equal, static, ...) with this architecture',
    });
  }
  // Bad labels or an empty training set would train silently on nothing or on garbage;
  // a misspelt early-stopping metric would fail only after the first epoch.
  checkLabels(train, model.tasks, { split: 'training', requireLabels: true });
  if (args.evaluation) checkLabels(args.evaluation, model.tasks, { split: 'evaluation', requireExamples: true });
  if (args.earlyStopping) {
    checkMonitoredMetric(args.earlyStopping.metric, model.tasks.map((t) => ({ name: t.name, metrics: t.metrics.map((m) => m.name) })));
  }
  const store = args.store;
  if (!store?.open) return train_(args, log, tasks, gradientMode, store);
  const claim = await store.open({ resume: args.resume ?? false, log });
  try {
    return await train_(args, log, tasks, gradientMode, store);
  } finally {
    claim.release();
  }
}

/** One epoch record of metrics.jsonl as read back (undefined figures are null in the file). */
const figure = z.union([z.number(), z.null()]).transform((v) => (v === null ? NaN : v));
const evaluationSchema = z.record(
  z.object({ loss: figure, metrics: z.record(figure), examples: z.number().int().min(0), undefinedReasons: z.record(z.string()).optional() }).passthrough(),
);
const metricsLineSchema = z.union([
  z
    .object({
      type: z.literal('epoch'),
      epoch: z.number().int().min(0),
      step: z.number().int().min(0),
      learningRate: z.number(),
      trainLoss: z.record(figure),
      weights: z.record(figure),
      evaluation: evaluationSchema.optional(),
      seconds: z.number(),
      stepsPerSecond: z.number(),
    })
    .passthrough(),
  // The other records fit writes: gradient diagnostics, the start-of-training task
  // scales (scaleCheck.ts) and the per-epoch architecture record (architectureRecord.ts).
  z.object({ type: z.enum(['diagnostics', 'scales', 'architecture']) }).passthrough(),
]);

/** The epoch records of a run's metrics log (`text`, read from `path`), each line checked; a damaged line is a coded error naming it. */
function readEpochRecords(text: string, path: string): EpochRecord[] {
  const records: EpochRecord[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new MtlError({
        code: 'io.bad_json',
        path: `${path}: line ${i + 1}`,
        expected: 'one JSON record per line, as mtl writes them',
        found: `${(error as Error).message.split('\n')[0]}: ${JSON.stringify(line.slice(0, 40))}`,
        fix: 'the file is damaged: restore it, or start the run again (--force)',
      });
    }
    const parsed = metricsLineSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new MtlError({
        code: 'io.bad_file',
        path: `${path}: line ${i + 1}${issue.path.length ? `, ${issue.path.join('.')}` : ''}`,
        expected: 'an epoch, diagnostics, scales or architecture record as mtl writes them',
        found: issue.message,
        fix: 'the file is damaged: restore it, or start the run again (--force)',
      });
    }
    if (parsed.data.type === 'epoch') records.push(parsed.data as unknown as EpochRecord);
  });
  return records;
}

async function train_(
  args: FitLoopArgs,
  log: (line: string) => void,
  tasks: string[],
  gradientMode: GradientMode,
  store: RunStore | undefined,
): Promise<FitResult> {
  const { model, train, method, optimizer, epochs, batchSize } = args;
  const checkpointDir = store?.checkpointLocation;
  const batchesPerEpoch = train.batchCount(batchSize);
  let position: TrainingPosition;
  const history: EpochRecord[] = [];
  if (args.resume) {
    if (!store || !(await store.hasCheckpoint())) {
      throw new MtlError({
        code: 'checkpoint.missing',
        path: checkpointDir ?? 'runDir',
        expected: 'a run folder with a checkpoint to resume',
        found: store ? 'no checkpoint in it' : 'no run folder',
        fix: 'start the run without --resume',
      });
    }
    // Everything is verified before the model, the optimizer or a file changes.
    const contents = await store.readCheckpoint();
    try {
      const statePath = `${checkpointDir}/state.json`;
      checkPosition(contents.position, statePath, { tasks, batchesPerEpoch, epochs });
      checkMethodStateShape(contents.position.methodState, method.init({ taskNames: tasks, seed: args.seed }, args.methodOptions), `${statePath}: methodState`);
      await store.checkMetrics(contents.position.metricsBytes);
    } catch (error) {
      contents.weights.forEach((w) => w.dispose());
      throw error;
    }
    position = applyCheckpoint(contents, model, optimizer);
    if (position.randomState) installSeededRandom(position.randomState);
    history.push(...readEpochRecords(await store.resumeMetrics(position.metricsBytes), store.metricsLocation));
    log(`resumed from ${checkpointDir}: epoch ${position.epoch + 1}, batch ${position.batchInEpoch}, step ${position.step}`);
  } else {
    const context = { taskNames: tasks, seed: args.seed };
    position = {
      epoch: 0,
      batchInEpoch: 0,
      step: 0,
      methodState: method.init(context, args.methodOptions),
      lastWeights: tasks.map(() => 1),
      epochLossSums: {},
      epochLossCounts: {},
      epochsWithoutImprovement: 0,
      metricsBytes: 0,
    };
    await store?.clearMetrics();
  }
  // The terminal bar needs Node's stderr; a page has none (its callbacks show progress).
  const stderr = typeof process === 'undefined' ? undefined : process.stderr;
  const bar = stderr ? new ProgressBar(stderr, args.progress ?? true) : undefined;
  let bestWeights: tf.Tensor[] | null = null;
  let stoppedEarly = false;
  let interrupted = false;
  let stopReason: FitResult['stopReason'];
  let stepsThisCall = 0;
  const writeRecord = async (record: object) => {
    await store?.appendMetrics(JSON.stringify(record) + '\n');
  };
  // The learning rate at a point of training, with any change made on resume in force from its step.
  const rateAt = (step: number, progress: number) =>
    learningRateAt(settingAt(args.learningRate, args.changes, 'learningRate', step), args.schedule ?? { type: 'constant' }, progress, settingAt(epochs, args.changes, 'epochs', step));
  const checkpoint = async () => {
    if (!store) return;
    position.randomState = seededRandomState();
    position.metricsBytes = await store.metricsBytes();
    await store.writeCheckpoint(model, optimizer, position);
  };
  // Tasks whose losses or gradients differ by orders of magnitude, under a method that does not balance them: warn once.
  const scales = args.resume ? undefined : checkTaskScales({ model, data: train, method, batchSize, seed: args.seed, log });
  if (scales) await writeRecord({ type: 'scales', step: 0, ...scales });

  while (position.epoch < epochs) {
    const epoch = position.epoch;
    const started = Date.now();
    let stepsTimed = 0;
    bar?.startEpoch();
    const order = new Random(`${args.seed}:epoch:${epoch}`);
    for (const batch of train.batches({ batchSize, random: order, skipBatches: position.batchInEpoch })) {
      if (args.signal?.aborted) {
        disposeBatch(batch);
        interrupted = true;
        stopReason = 'signal';
        break;
      }
      const progress = epoch + position.batchInEpoch / batchesPerEpoch;
      const learningRate = rateAt(position.step, progress);
      // This step writes a diagnostics record, which needs the Gramian.
      const diagnose = Boolean(args.diagnosticsEvery) && (position.step + 1) % args.diagnosticsEvery! === 0;
      let result;
      try {
        args.beforeStep?.({ batch, model, optimizer, learningRate, step: position.step, epoch });
        result = trainStep(batch, {
          model,
          optimizer,
          method,
          methodOptions: args.methodOptions,
          methodState: position.methodState,
          lastWeights: position.lastWeights,
          learningRate,
          clipNorm: args.clipNorm,
          gradientMode,
          epoch,
          step: position.step,
          returnGramian: diagnose,
        });
      } catch (error) {
        if (!(error instanceof DivergenceError)) throw error;
        // Caught before anything changed: say where, and what the last checkpoint is good for.
        bar?.clear();
        throw divergenceError(error, {
          ...(store ? { checkpointDir: store.checkpointLocation, checkpoint: await store.inspectCheckpoint() } : {}),
          // The base rate (what --learning-rate sets), not the scheduled one.
          learningRate: settingAt(args.learningRate, args.changes, 'learningRate', position.step),
        });
      } finally {
        disposeBatch(batch);
      }
      for (const [t, v] of Object.entries(result.losses)) {
        position.epochLossSums[t] = (position.epochLossSums[t] ?? 0) + v;
        position.epochLossCounts[t] = (position.epochLossCounts[t] ?? 0) + 1;
      }
      position.methodState = result.methodState;
      position.lastWeights = result.weights;
      position.step += 1;
      position.batchInEpoch += 1;
      stepsThisCall += 1;
      stepsTimed += 1;
      if (diagnose && result.gramian) {
        await writeRecord({ type: 'diagnostics', step: position.step, epoch, ...gramianDiagnostics(tasks, result.gramian, result.weights) });
      }
      const running: Record<string, number> = {};
      for (const t of tasks) {
        if (position.epochLossCounts[t]) running[t] = position.epochLossSums[t]! / position.epochLossCounts[t]!;
      }
      bar?.update({ epoch, epochs, batch: position.batchInEpoch, batches: batchesPerEpoch, batchSize, losses: running, weights: Object.fromEntries(tasks.map((t, i) => [t, position.lastWeights[i]!])) });
      if (args.stopAfterSteps !== undefined && stepsThisCall >= args.stopAfterSteps) {
        interrupted = true;
        stopReason = 'stopAfterSteps';
        break;
      }
      if (args.onStepEnd) {
        const info: StepEndInfo = {
          epoch,
          step: position.step,
          batch: position.batchInEpoch,
          batches: batchesPerEpoch,
          learningRate,
          losses: { ...result.losses },
          weights: Object.fromEntries(tasks.map((t, i) => [t, position.lastWeights[i]!])),
        };
        if ((await args.onStepEnd(info)) === 'stop') {
          interrupted = true;
          stopReason = 'callback';
          break;
        }
      }
      if (args.checkpointEverySteps && position.step % args.checkpointEverySteps === 0 && position.batchInEpoch < batchesPerEpoch) {
        await checkpoint();
      }
    }
    if (interrupted) {
      bar?.clear();
      await checkpoint();
      break;
    }
    const seconds = (Date.now() - started) / 1000;
    const trainLoss: Record<string, number> = {};
    for (const t of tasks) trainLoss[t] = (position.epochLossSums[t] ?? NaN) / (position.epochLossCounts[t] ?? NaN);
    if (method.endEpoch) position.methodState = method.endEpoch(tasks.map((t) => trainLoss[t]!), position.methodState, args.methodOptions);
    position.epochLossSums = {};
    position.epochLossCounts = {};
    // The statistics are read by this epoch's evaluation, or kept in the final model; a
    // recalibration does not depend on the previous one, so epochs with neither skip it.
    if (args.evaluation || epoch === epochs - 1) {
      recalibrateBatchNorm(model, args.train, {
        batches: args.batchNormRecalibration ?? BATCH_NORM_RECALIBRATION_BATCHES,
        batchSize,
        seed: `${args.seed}:epoch:${epoch}`,
      });
    }
    const evaluation = args.evaluation ? evaluate(model, args.evaluation) : undefined;
    const record: EpochRecord = {
      type: 'epoch',
      epoch,
      step: position.step,
      learningRate: rateAt(position.step - position.batchInEpoch, epoch),
      trainLoss,
      weights: Object.fromEntries(tasks.map((t, i) => [t, position.lastWeights[i]!])),
      ...(evaluation ? { evaluation } : {}),
      seconds,
      stepsPerSecond: stepsTimed / Math.max(seconds, 1e-9),
    };
    history.push(record);
    await writeRecord(record);
    const architecture = store ? architectureRecord(model, args.evaluation ?? train, epoch, position.step) : undefined;
    if (architecture) await writeRecord(architecture);
    bar?.clear();
    log(formatEpochLine(record, epochs));
    if (args.earlyStopping && evaluation) {
      const { value, higherIsBetter } = monitoredValue(evaluation, args.earlyStopping.metric);
      const minDelta = args.earlyStopping.minDelta ?? 0;
      // An undefined value (AUC of a single-class split) is never an improvement.
      if (!isDefined(value)) log(`early stopping: ${args.earlyStopping.metric} is undefined this epoch; not counted as an improvement`);
      const improved =
        isDefined(value) && (position.best === undefined || (higherIsBetter ? value > position.best.value + minDelta : value < position.best.value - minDelta));
      if (improved) {
        position.best = { value, epoch };
        position.epochsWithoutImprovement = 0;
        if (args.earlyStopping.restoreBest ?? true) {
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = model.model.getWeights().map((w) => w.clone());
          await store?.writeBest(model);
        }
      } else {
        position.epochsWithoutImprovement += 1;
      }
      if (position.epochsWithoutImprovement >= (args.earlyStopping.patience ?? 10)) {
        log(
          `early stopping: ${args.earlyStopping.metric} has not improved for ${position.epochsWithoutImprovement} epochs` +
            (position.best ? ` (best ${position.best.value.toFixed(4)} at epoch ${position.best.epoch + 1})` : ' (it was never defined)'),
        );
        stoppedEarly = true;
        stopReason = 'earlyStopping';
      }
    }
    if (args.onEpochEnd && (await args.onEpochEnd(record)) === 'stop' && !stoppedEarly) {
      log(`stopped by onEpochEnd after epoch ${epoch + 1}`);
      stoppedEarly = true;
      stopReason = 'callback';
    }
    position.epoch += 1;
    position.batchInEpoch = 0;
    if (stoppedEarly) break;
    // The last epoch's checkpoint is the final one, written below.
    if (position.epoch < epochs) await checkpoint();
    // Aborted during the epoch's last step or its evaluation: paused at the epoch boundary, checkpointed just above.
    if (args.signal?.aborted && position.epoch < epochs) {
      interrupted = true;
      stopReason = 'signal';
      break;
    }
  }
  let evaluation = history.length > 0 ? history[history.length - 1]!.evaluation : undefined;
  if (!interrupted && args.earlyStopping && (args.earlyStopping.restoreBest ?? true) && position.best) {
    if (!bestWeights && store) bestWeights = (await store.readBest()) ?? null;
    if (bestWeights) {
      model.model.setWeights(bestWeights);
      if (args.evaluation) evaluation = evaluate(model, args.evaluation);
    }
  }
  bestWeights?.forEach((w) => w.dispose());
  if (!interrupted && store) {
    position.epoch = epochs;
    await checkpoint();
  }
  return { history, evaluation, best: position.best, stoppedEarly, interrupted, ...(stopReason ? { stopReason } : {}), steps: position.step };
}

/** Per-task gradient norms and pairwise cosines from a Gramian. */
export function gramianDiagnostics(tasks: readonly string[], gramian: number[][], weights: readonly number[]) {
  const norms = gramian.map((row, i) => Math.sqrt(Math.max(row[i]!, 0)));
  const cosines: Record<string, number> = {};
  for (let i = 0; i < gramian.length; i++) {
    for (let j = i + 1; j < gramian.length; j++) {
      cosines[`${tasks[i]}~${tasks[j]}`] = gramian[i]![j]! / Math.max(norms[i]! * norms[j]!, 1e-20);
    }
  }
  return {
    weights: Object.fromEntries(tasks.map((t, i) => [t, weights[i]!])),
    gradientNorms: Object.fromEntries(tasks.map((t, i) => [t, norms[i]!])),
    cosines,
  };
}

/** One epoch's line: training losses and evaluation metrics, an undefined figure as "undefined (reason)". */
export function formatEpochLine(record: EpochRecord, epochs: number): string {
  const train = Object.entries(record.trainLoss)
    .map(([t, v]) => `${t} ${formatFigure(v, 'no labelled example this epoch')}`)
    .join(', ');
  const evaluation = record.evaluation
    ? Object.entries(record.evaluation)
        .map(([t, e]) => `${t} ${Object.entries(e.metrics).map(([m, v]) => `${m} ${formatFigure(v, undefinedReason(e, m))}`).join(' ')}`)
        .join(', ')
    : '';
  return (
    `epoch ${record.epoch + 1}/${epochs}  train loss: ${train}` +
    (evaluation ? `  | eval: ${evaluation}` : '') +
    `  (${formatSeconds(record.seconds)}, ${record.stepsPerSecond.toFixed(1)} steps/s)`
  );
}

/**
 * A checkpoint's training position must fit the run it resumes: one task weight per
 * task, losses only of known tasks, a batch index within the epoch.
 *
 * @throws MtlError `checkpoint.mismatch`.
 */
function checkPosition(position: TrainingPosition, path: string, run: { tasks: readonly string[]; batchesPerEpoch: number; epochs: number }): void {
  const mismatch = (expected: string, found: string) =>
    new MtlError({ code: 'checkpoint.mismatch', path, expected, found, fix: 'resume with the experiment (and data) the run was started with, or start a new run (--force)' });
  if (position.lastWeights.length !== run.tasks.length) throw mismatch(`${run.tasks.length} task weights (tasks ${run.tasks.join(', ')})`, `${position.lastWeights.length}`);
  const unknown = [...Object.keys(position.epochLossSums), ...Object.keys(position.epochLossCounts)].filter((t) => !run.tasks.includes(t));
  if (unknown.length > 0) throw mismatch(`losses of the tasks ${run.tasks.join(', ')}`, `losses of ${unknown.join(', ')}`);
  if (position.batchInEpoch > run.batchesPerEpoch) throw mismatch(`a batch index ≤ ${run.batchesPerEpoch} (batches per epoch of this data)`, `batch ${position.batchInEpoch} (the training data or batch size changed)`);
}
