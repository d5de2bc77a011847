import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { disposeBatch, type ArrayDataset, type Batch } from '../data/dataset.js';
import { MtlError } from '../errors.js';
import { evaluate, type Evaluation } from '../evaluation/evaluate.js';
import type { GradientMode, WeightingMethod } from '../weighting/method.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainingPosition } from './checkpoint.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { ProgressBar, formatSeconds } from './progress.js';
import { Random } from './random.js';
import { learningRateAt, type ScheduleSpec } from './schedules.js';
import { installSeededRandom, seededRandomState } from './seededRandom.js';
import { assertFiniteLosses, trainStep } from './trainStep.js';
import { BATCH_NORM_RECALIBRATION_BATCHES, recalibrateBatchNorm } from './batchNormRecalibration.js';

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

/** What {@link FitArgs.beforeStep} sees: the step about to run on `batch`. */
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

export interface FitArgs {
  model: MultiTaskModel;
  train: ArrayDataset;
  /** Evaluated after every epoch (metrics logged; early stopping reads it). */
  evaluation?: ArrayDataset;
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
  /** Run folder: metrics.jsonl and checkpoint/ are written there when given. */
  runDir?: string;
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
   * Called before every training step with its batch (task affinity is recorded this way).
   * It must leave the model, the optimizer and the seeded random stream as it found them,
   * so that training follows the same trajectory with or without it.
   */
  beforeStep?: (context: StepContext) => void;
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
  /** True when `stopAfterSteps` interrupted the run. */
  interrupted: boolean;
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
 * schedule, evaluation after every epoch, early stopping, `metrics.jsonl` and atomic
 * checkpoints in the run folder, and exact resumption from a checkpoint.
 *
 * Reproducibility: data order comes from `Random(seed, epoch)`; every other random draw
 * (initialisation, dropout) from the seeded Math.random that the caller installs with
 * `installSeededRandom(seed)` before building the model; its state is checkpointed.
 */
export async function fit(args: FitArgs): Promise<FitResult> {
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
  const runDir = args.runDir;
  const metricsPath = runDir ? join(runDir, 'metrics.jsonl') : undefined;
  const checkpointDir = runDir ? join(runDir, 'checkpoint') : undefined;
  if (runDir) mkdirSync(runDir, { recursive: true });
  let position: TrainingPosition;
  const history: EpochRecord[] = [];
  if (args.resume) {
    if (!checkpointDir || !hasCheckpoint(checkpointDir)) {
      throw new MtlError({
        code: 'checkpoint.missing',
        path: checkpointDir ?? 'runDir',
        expected: 'a run folder with a checkpoint to resume',
        found: runDir ? 'no checkpoint in it' : 'no run folder',
        fix: 'start the run without --resume',
      });
    }
    position = loadCheckpoint(checkpointDir, model, optimizer);
    if (position.randomState) installSeededRandom(position.randomState);
    if (metricsPath && existsSync(metricsPath)) {
      if (statSync(metricsPath).size > position.metricsBytes) truncateSync(metricsPath, position.metricsBytes);
      for (const line of readFileSync(metricsPath, 'utf8').split('\n')) {
        if (line.trim()) {
          const record = JSON.parse(line);
          if (record.type === 'epoch') history.push(record);
        }
      }
    }
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
    if (metricsPath) writeFileSync(metricsPath, '');
  }
  const bar = new ProgressBar(process.stderr, args.progress ?? true);
  const batchesPerEpoch = train.batchCount(batchSize);
  let bestWeights: tf.Tensor[] | null = null;
  let stoppedEarly = false;
  let interrupted = false;
  let stepsThisCall = 0;
  const writeRecord = (record: object) => {
    if (metricsPath) appendFileSync(metricsPath, JSON.stringify(record) + '\n');
  };
  const checkpoint = async () => {
    if (!checkpointDir) return;
    position.randomState = seededRandomState();
    position.metricsBytes = metricsPath && existsSync(metricsPath) ? statSync(metricsPath).size : 0;
    await saveCheckpoint(checkpointDir, model, optimizer, position);
  };

  while (position.epoch < epochs) {
    const epoch = position.epoch;
    const started = Date.now();
    let stepsTimed = 0;
    bar.startEpoch();
    const order = new Random(`${args.seed}:epoch:${epoch}`);
    for (const batch of train.batches({ batchSize, random: order, skipBatches: position.batchInEpoch })) {
      const progress = epoch + position.batchInEpoch / batchesPerEpoch;
      const learningRate = learningRateAt(args.learningRate, args.schedule ?? { type: 'constant' }, progress, epochs);
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
      } finally {
        disposeBatch(batch);
      }
      assertFiniteLosses(
        result.losses,
        `epoch ${epoch + 1}, step ${position.step}`,
        'lower the learning rate, clip gradients (training.clipNorm) or check the data for extreme values; the last checkpoint is intact',
      );
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
        writeRecord({ type: 'diagnostics', step: position.step, epoch, ...gramianDiagnostics(tasks, result.gramian, result.weights) });
      }
      const running: Record<string, number> = {};
      for (const t of tasks) {
        if (position.epochLossCounts[t]) running[t] = position.epochLossSums[t]! / position.epochLossCounts[t]!;
      }
      bar.update({ epoch, epochs, batch: position.batchInEpoch, batches: batchesPerEpoch, batchSize, losses: running });
      if (args.stopAfterSteps !== undefined && stepsThisCall >= args.stopAfterSteps) {
        interrupted = true;
        break;
      }
      if (args.checkpointEverySteps && position.step % args.checkpointEverySteps === 0 && position.batchInEpoch < batchesPerEpoch) {
        await checkpoint();
      }
    }
    if (interrupted) {
      bar.clear();
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
      learningRate: learningRateAt(args.learningRate, args.schedule ?? { type: 'constant' }, epoch, epochs),
      trainLoss,
      weights: Object.fromEntries(tasks.map((t, i) => [t, position.lastWeights[i]!])),
      ...(evaluation ? { evaluation } : {}),
      seconds,
      stepsPerSecond: stepsTimed / Math.max(seconds, 1e-9),
    };
    history.push(record);
    writeRecord(record);
    bar.clear();
    log(formatEpochLine(record, epochs));
    if (args.earlyStopping && evaluation) {
      const { value, higherIsBetter } = monitoredValue(evaluation, args.earlyStopping.metric);
      const minDelta = args.earlyStopping.minDelta ?? 0;
      const improved =
        position.best === undefined || (higherIsBetter ? value > position.best.value + minDelta : value < position.best.value - minDelta);
      if (improved) {
        position.best = { value, epoch };
        position.epochsWithoutImprovement = 0;
        if (args.earlyStopping.restoreBest ?? true) {
          bestWeights?.forEach((w) => w.dispose());
          bestWeights = model.model.getWeights().map((w) => w.clone());
          if (runDir) await saveBest(runDir, model);
        }
      } else {
        position.epochsWithoutImprovement += 1;
      }
      if (position.epochsWithoutImprovement >= (args.earlyStopping.patience ?? 10)) {
        log(`early stopping: ${args.earlyStopping.metric} has not improved for ${position.epochsWithoutImprovement} epochs (best ${position.best!.value.toFixed(4)} at epoch ${position.best!.epoch + 1})`);
        stoppedEarly = true;
      }
    }
    position.epoch += 1;
    position.batchInEpoch = 0;
    if (stoppedEarly) break;
    // The last epoch's checkpoint is the final one, written below.
    if (position.epoch < epochs) await checkpoint();
  }
  let evaluation = history.length > 0 ? history[history.length - 1]!.evaluation : undefined;
  if (!interrupted && args.earlyStopping && (args.earlyStopping.restoreBest ?? true) && position.best) {
    if (!bestWeights && runDir && existsSync(join(runDir, 'best', 'model.json'))) {
      const { readWeights } = await import('../io/modelFiles.js');
      bestWeights = readWeights(join(runDir, 'best'));
    }
    if (bestWeights) {
      model.model.setWeights(bestWeights);
      if (args.evaluation) evaluation = evaluate(model, args.evaluation);
    }
  }
  bestWeights?.forEach((w) => w.dispose());
  if (!interrupted && checkpointDir) {
    position.epoch = epochs;
    await checkpoint();
  }
  return { history, evaluation, best: position.best, stoppedEarly, interrupted, steps: position.step };
}

async function saveBest(runDir: string, model: MultiTaskModel): Promise<void> {
  const { replaceFolder, saveModel } = await import('../io/modelFiles.js');
  await replaceFolder(join(runDir, 'best'), (tmp) => saveModel(model.model, tmp, { tasks: model.tasks.map((t) => t.name) }));
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

function formatEpochLine(record: EpochRecord, epochs: number): string {
  const train = Object.entries(record.trainLoss)
    .map(([t, v]) => `${t} ${v.toFixed(4)}`)
    .join(', ');
  const evaluation = record.evaluation
    ? Object.entries(record.evaluation)
        .map(([t, e]) => `${t} ${Object.entries(e.metrics).map(([m, v]) => `${m} ${v.toFixed(4)}`).join(' ')}`)
        .join(', ')
    : '';
  return (
    `epoch ${record.epoch + 1}/${epochs}  train loss: ${train}` +
    (evaluation ? `  | eval: ${evaluation}` : '') +
    `  (${formatSeconds(record.seconds)}, ${record.stepsPerSecond.toFixed(1)} steps/s)`
  );
}
