import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MtlError } from '../errors.js';
import { deltaMByTask, DELTA_M_FORMULA, metricDirection, type MetricComparison, type TaskDelta } from '../evaluation/deltaM.js';
import type { Evaluation } from '../evaluation/evaluate.js';
import { replaceFolder } from '../io/modelFiles.js';
import { readJsonFile } from '../io/readFile.js';
import { assertSafeRunLocation, ensureRunFolder } from '../io/runMarker.js';
import { writeFileAtomic } from '../io/writeFile.js';
import { formatFigure, isDefined, undefinedReason } from '../evaluation/undefinedMetrics.js';
import { ArrayDataset } from '../data/dataset.js';
import { saveMultiTaskModel } from '../io/multiTaskModelFiles.js';
import { fit, type FitArgs, type FitResult } from '../training/fit.js';
import { withSeededRandom } from '../random/seededRandom.js';
import { buildModel, buildOptimizer, buildTasks, buildWeighting } from './buildExperiment.js';
import { openRunFolder } from './runFolder.js';
import { checkMemory } from './memoryEstimate.js';
import type { ExperimentConfig } from './config.js';
import { settingChanges } from './resumeOverrides.js';
import { runEvidence } from '../grouping/transferEvidence.js';
import { findTransfer, formatTransferSection, type TransferReport } from '../grouping/transferFindings.js';
import { loadExperimentData, type ExperimentData } from './loadData.js';
import type { AdaShareModel } from '../architectures/adashare.js';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { hasCheckpoint } from '../training/checkpoint.js';
import {
  ADASHARE_SCHEDULE_KEYS,
  hasSearchCheckpoint,
  resolveAdaShareSchedule,
  SEARCH_CHECKPOINT_DIR,
  trainAdaShare,
  type AdaShareSearchProgress,
} from '../training/adashareTraining.js';
import { Random } from '../random/random.js';

const policySchema = z.object({ policy: z.record(z.array(z.boolean()).min(1)), executeProbabilities: z.unknown().optional() }).passthrough();

/** The AdaShare policy a run folder saved (policy.json, validated). */
export function readPolicy(runDir: string): Record<string, boolean[]> {
  const path = join(runDir, 'policy.json');
  if (!existsSync(path)) {
    throw new MtlError({ code: 'run.missing_policy', path, expected: 'the AdaShare policy saved by the run', found: 'no such file', fix: 'start the run again without --resume' });
  }
  return readJsonFile(path, policySchema, { what: 'the run\'s AdaShare policy.json' }).policy;
}

/**
 * The experiment settings an AdaShare search checkpoint must match besides the schedule
 * (which `trainAdaShare` records itself): the encoder and the model options (sparsity
 * and sharing weights, temperature, hard sampling), keyed by their experiment-file path.
 */
function adaShareCheckpointSettings(config: ExperimentConfig): Record<string, unknown> {
  const schedule = ADASHARE_SCHEDULE_KEYS as readonly string[];
  const options = Object.entries(config.model.options ?? {}).filter(([k]) => !schedule.includes(k));
  return { 'model.encoder': config.model.encoder, ...Object.fromEntries(options.map(([k, v]) => [`model.options.${k}`, v])) };
}

/** Whether a model searches a select/skip policy before training (AdaShare). */
export function isAdaShare(model: MultiTaskModel): model is AdaShareModel {
  return typeof (model as Partial<AdaShareModel>).selectPolicy === 'function' && typeof (model as Partial<AdaShareModel>).finalize === 'function';
}

export interface RunOptions {
  /** Run folder. @defaultValue runs/<name> */
  runDir?: string;
  resume?: boolean;
  /** Override the experiment's epochs (quick checks; on a resume, extend the run: an override recorded in config.json). */
  epochs?: number;
  /** Override the experiment's learning rate (on a resume: continue with it from the checkpoint's step, an override recorded in config.json). */
  learningRate?: number;
  /** Replace what the run folder holds (a marked run folder only; never with `resume`). */
  force?: boolean;
  progress?: boolean;
  log?: (line: string) => void;
  /** AdaShare: called after each search checkpoint is written (tests throw from it to simulate a killed run). */
  onSearchCheckpoint?: (progress: AdaShareSearchProgress) => void;
  /** Passed to `fit` for the multi-task model's training (not the baselines'): e.g. the task-affinity recorder. */
  beforeStep?: FitArgs['beforeStep'];
}

/** What a run folder's summary.json holds. */
export interface RunSummary {
  name: string;
  backend?: string;
  multiTask?: {
    evaluation: Evaluation;
    epochs: number;
    steps: number;
    seconds: number;
    parameters: number;
    /**
     * When the experiment holds out a validation split: the final model's validation
     * evaluation (the best epoch's under early stopping) and the one after each epoch, so
     * that selections (task grouping) can read validation figures from the summary alone,
     * wherever the run trained.
     */
    validation?: { final: Evaluation; byEpoch: Evaluation[] };
  };
  singleTask?: Record<string, { evaluation: Evaluation[string]; epochs: number; seconds: number; parameters: number }>;
  /** The metrics Δm is computed from (each task's `deltaMetrics`), multi-task and single-task. */
  comparison?: MetricComparison[];
  /** Δm in percent, lower is better: the mean over tasks of each task's mean relative change (see `deltaMByTask`). */
  deltaM?: number;
  /** Metrics left out of Δm because they are undefined for the multi-task model or its baseline, with the reason. */
  deltaMLeftOut?: Array<{ task: string; metric: string; reason: string }>;
  /** Each task's part of Δm: its metrics and their mean relative change in percent. */
  deltaMPerTask?: TaskDelta[];
  /**
   * With baselines: the negative-transfer findings of this run (as `mtl transfer <run>`:
   * tasks worse than alone, pairs with negative affinity or persistent gradient conflict
   * where the run recorded them), each with its evidence, and the suggested grouping.
   */
  transfer?: RunTransfer;
}

/** A run's negative-transfer findings (see `findTransfer`), as its summary holds them. */
export type RunTransfer = Pick<TransferReport, 'findings' | 'suggestion' | 'notes'>;

/** An undefined figure is null in JSON (NaN in memory). */
const figure = z.union([z.number(), z.null()]).transform((v) => (v === null ? NaN : v));
const taskEvaluationSchema = z
  .object({ loss: figure, metrics: z.record(figure), examples: z.number().int().min(0), undefinedReasons: z.record(z.string()).optional() })
  .passthrough();
const summarySchema = z
  .object({
    name: z.string(),
    backend: z.string().optional(),
    multiTask: z
      .object({ evaluation: z.record(taskEvaluationSchema), epochs: z.number(), steps: z.number(), seconds: z.number(), parameters: z.number() })
      .passthrough()
      .optional(),
    singleTask: z.record(z.object({ evaluation: taskEvaluationSchema, epochs: z.number(), seconds: z.number(), parameters: z.number() }).passthrough()).optional(),
    comparison: z
      .array(z.object({ task: z.string(), metric: z.string(), direction: z.enum(['higher', 'lower']), multiTask: figure, singleTask: figure }).passthrough())
      .optional(),
    deltaM: figure.optional(),
    deltaMLeftOut: z.array(z.object({ task: z.string(), metric: z.string(), reason: z.string() })).optional(),
  })
  .passthrough();

function summaryPath(runDir: string): string {
  return join(runDir, 'summary.json');
}

/** A run folder's summary.json (validated; undefined figures read back as NaN), or undefined when there is none yet. */
export function readSummary(runDir: string): RunSummary | undefined {
  if (!existsSync(summaryPath(runDir))) return undefined;
  const summary = readJsonFile(summaryPath(runDir), summarySchema, { what: 'the run\'s summary.json' }) as RunSummary;
  if (summary.deltaM !== undefined && !isDefined(summary.deltaM)) delete summary.deltaM;
  return summary;
}

function writeSummary(runDir: string, summary: RunSummary, deltaMetrics: Record<string, readonly string[]>): void {
  if (summary.multiTask && summary.singleTask) {
    // Each task's deltaMetrics (default its first metric). An undefined figure on either
    // side (AUC of a one-class test split, a task without test labels) or a zero baseline
    // has no relative change: left out, and said so.
    const comparison: MetricComparison[] = [];
    const leftOut: NonNullable<RunSummary['deltaMLeftOut']> = [];
    for (const [task, mtl] of Object.entries(summary.multiTask.evaluation)) {
      const stl = summary.singleTask[task];
      if (!stl) continue;
      for (const metric of deltaMetrics[task] ?? Object.keys(mtl.metrics).slice(0, 1)) {
        const value = mtl.metrics[metric];
        const base = stl.evaluation.metrics[metric];
        if (value === undefined || base === undefined) continue;
        const reason = !isDefined(value)
          ? `multi-task: ${undefinedReason(mtl, metric) ?? 'undefined'}`
          : !isDefined(base)
            ? `single-task: ${undefinedReason(stl.evaluation, metric) ?? 'undefined'}`
            : base === 0
              ? 'the single-task baseline is 0 (no relative change)'
              : undefined;
        if (reason) leftOut.push({ task, metric, reason });
        else comparison.push({ task, metric, direction: metricDirection(metric), multiTask: value, singleTask: base });
      }
    }
    summary.comparison = comparison;
    const breakdown = comparison.length > 0 ? deltaMByTask(comparison) : undefined;
    summary.deltaM = breakdown?.deltaM;
    summary.deltaMPerTask = breakdown?.perTask;
    if (leftOut.length > 0) summary.deltaMLeftOut = leftOut;
    else delete summary.deltaMLeftOut;
    // Where sharing hurts, from this run's own evidence (as `mtl transfer <run>` finds it).
    const { findings, suggestion, notes } = findTransfer([runEvidence(runDir, Object.keys(deltaMetrics), summary)]);
    summary.transfer = { findings, ...(suggestion ? { suggestion } : {}), notes };
  }
  writeFileAtomic(summaryPath(runDir), JSON.stringify(summary, null, 2) + '\n', 'the run\'s summary.json');
  writeFileAtomic(join(runDir, 'summary.md'), formatSummary(summary), 'the run\'s summary.md');
}

/** Each task's Δm metrics from the experiment (its `deltaMetrics`, by default its first metric). */
function deltaMetricsOf(config: ExperimentConfig): Record<string, readonly string[]> {
  return Object.fromEntries(buildTasks(config).map((t) => [t.name, t.deltaMetrics]));
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`;

/** The summary as a Markdown table: per task and metric, MTL next to single-task, then Δm. */
export function formatSummary(summary: RunSummary): string {
  const lines = [`# ${summary.name}`, ''];
  if (summary.multiTask) {
    lines.push('| task | metric | multi-task | single-task |', '| --- | --- | --- | --- |');
    for (const [task, e] of Object.entries(summary.multiTask.evaluation)) {
      for (const [metric, value] of Object.entries(e.metrics)) {
        const stl = summary.singleTask?.[task]?.evaluation;
        const base = stl?.metrics[metric];
        lines.push(`| ${task} | ${metric} | ${formatFigure(value, undefinedReason(e, metric))} | ${stl === undefined || base === undefined ? '—' : formatFigure(base, undefinedReason(stl, metric))} |`);
      }
    }
    lines.push('');
    const leftOut = summary.deltaMLeftOut ?? [];
    if (summary.deltaM !== undefined && isDefined(summary.deltaM)) {
      lines.push(`Δm = ${signed(summary.deltaM)} (lower is better: the mean over tasks of each task's relative change against its single-task baseline)`);
      if (summary.deltaMPerTask) {
        lines.push('', `per task: ${summary.deltaMPerTask.map((t) => `${t.task} (${t.metrics.join(', ')}) ${signed(t.change)}`).join(', ')}`);
      }
      lines.push('', DELTA_M_FORMULA);
    } else if (summary.singleTask && leftOut.length > 0) lines.push('Δm: undefined (every metric it reads is undefined for the multi-task model or its baseline)');
    else lines.push('Δm: no single-task baselines yet (run `mtl baselines <experiment>` or train with --baselines).');
    if (leftOut.length > 0) lines.push('', `Δm leaves out: ${leftOut.map((l) => `${l.task}/${l.metric} (${l.reason})`).join('; ')}`);
    lines.push(
      '',
      `multi-task: ${summary.multiTask.parameters} parameters, ${summary.multiTask.epochs} epoch${summary.multiTask.epochs === 1 ? '' : 's'}, ${summary.multiTask.seconds.toFixed(0)} s` +
        (summary.singleTask
          ? `; single-task: ${Object.values(summary.singleTask).reduce((s, b) => s + b.parameters, 0)} parameters in ${Object.keys(summary.singleTask).length} models`
          : ''),
    );
    if (summary.transfer) lines.push('', ...formatTransferSection(summary.transfer));
  }
  return lines.join('\n') + '\n';
}

function trainingArgs(config: ExperimentConfig, options: RunOptions) {
  const t = config.training;
  return {
    learningRate: t.optimizer.learningRate,
    ...(t.schedule ? { schedule: t.schedule } : {}),
    // Any --epochs override is already in the config (withEpochOverride).
    epochs: t.epochs,
    batchSize: t.batchSize,
    ...(t.clipNorm !== undefined ? { clipNorm: t.clipNorm } : {}),
    ...(t.earlyStopping ? { earlyStopping: t.earlyStopping } : {}),
    ...(t.checkpointEverySteps ? { checkpointEverySteps: t.checkpointEverySteps } : {}),
    ...(t.diagnosticsEvery ? { diagnosticsEvery: t.diagnosticsEvery } : {}),
    ...(t.batchNormRecalibration !== undefined ? { batchNormRecalibration: t.batchNormRecalibration } : {}),
    seed: config.seed,
    ...(options.progress !== undefined ? { progress: options.progress } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(config.overrides?.length ? { changes: settingChanges(config) } : {}),
  };
}

type TrainOneResult = { result: FitResult; evaluation: Evaluation; seconds: number; parameters: number };

function trainOne(config: ExperimentConfig, data: ExperimentData, taskNames: readonly string[] | undefined, runDir: string, options: RunOptions): Promise<TrainOneResult> {
  // Same seed for the multi-task run and every baseline: same initialisation stream, same
  // data order; scoped, so that a library call leaves Math.random as it found it.
  return withSeededRandom(config.seed, () => trainOneSeeded(config, data, taskNames, runDir, options));
}

async function trainOneSeeded(
  config: ExperimentConfig,
  data: ExperimentData,
  taskNames: readonly string[] | undefined,
  runDir: string,
  options: RunOptions,
): Promise<TrainOneResult> {
  // A baseline's folder (baselines/<task>) is a run folder of its own.
  ensureRunFolder(runDir, { adoptLegacy: options.resume ?? false, ...(options.log ? { log: options.log } : {}) });
  const tasks = buildTasks(config, taskNames, data.preprocessor);
  const names = tasks.map((t) => t.name);
  const model = buildModel(config, tasks, data.train.inputShape);
  const { method, options: methodOptions } = taskNames && taskNames.length === 1
    ? buildWeighting({ ...config, weighting: { method: 'equal' } }, names)
    : buildWeighting(config, names);
  const optimizer = buildOptimizer(config);
  const started = Date.now();
  const train = taskNames ? data.train.withTasks(names) : data.train;
  let resumeFit = options.resume ?? false;
  if (isAdaShare(model) && resumeFit && hasCheckpoint(join(runDir, 'checkpoint'))) {
    // The re-training already checkpointed: its checkpoint holds the weights of the chosen networks.
    model.finalize(readPolicy(runDir), { fromScratch: false });
  } else if (isAdaShare(model)) {
    if (!(train instanceof ArrayDataset)) {
      throw new MtlError({
        code: 'config.incompatible',
        path: 'data.stream',
        expected: 'data held in memory for AdaShare (its policy search splits the training set in two)',
        found: 'a streaming data set',
        fix: 'set data.stream: false, or use another architecture for a file this large',
      });
    }
    // AdaShare first searches its per-task select/skip policy (weights and policy trained
    // on two halves of the training data), then the chosen networks train below. The
    // search checkpoints into <runDir>/search-checkpoint; a resumed run continues it
    // exactly (or, when it was complete, only selects the policy again and re-trains).
    const log = options.log ?? ((l: string) => console.log(l));
    const order = new Random(`${config.seed}:adashare-split`).permutation(train.size);
    const half = Math.floor(train.size / 2);
    const search = trainAdaShare({
      model,
      train: train.subset(Int32Array.from(order.subarray(0, half)).sort()),
      policyData: train.subset(Int32Array.from(order.subarray(half)).sort()),
      method,
      methodOptions,
      optimizer,
      learningRate: config.training.optimizer.learningRate,
      batchSize: config.training.batchSize,
      seed: config.seed,
      log,
      ...resolveAdaShareSchedule(config.model.options),
      checkpointDir: join(runDir, SEARCH_CHECKPOINT_DIR),
      resume: resumeFit,
      checkpointSettings: adaShareCheckpointSettings(config),
      ...(options.onSearchCheckpoint ? { onCheckpoint: options.onSearchCheckpoint } : {}),
    });
    const policyPath = join(runDir, 'policy.json');
    if (resumeFit && existsSync(policyPath) && JSON.stringify(readPolicy(runDir)) !== JSON.stringify(search.policy)) {
      throw new MtlError({
        code: 'checkpoint.mismatch',
        path: policyPath,
        expected: 'the policy the resumed AdaShare search selects',
        found: 'another policy',
        fix: 'start the run again without --resume (--force replaces the run folder)',
      });
    }
    writeFileAtomic(policyPath, JSON.stringify({ policy: search.policy, executeProbabilities: search.executeProbabilities }, null, 2) + '\n', 'the run\'s policy.json');
    // The re-training has no checkpoint yet: it starts from the beginning.
    resumeFit = false;
  }
  const held = data.validation ?? data.test;
  const result = await fit({
    model,
    train,
    evaluation: taskNames ? held.withTasks(names) : held,
    method,
    methodOptions,
    optimizer,
    ...(config.weighting.gradientMode ? { gradientMode: config.weighting.gradientMode } : {}),
    runDir,
    resume: resumeFit,
    ...trainingArgs(config, options),
    ...(options.beforeStep && !taskNames ? { beforeStep: options.beforeStep } : {}),
  });
  const { evaluate } = await import('../evaluation/evaluate.js');
  const evaluation = data.validation ? evaluate(model, taskNames ? data.test.withTasks(names) : data.test) : result.evaluation!;
  await replaceFolder(join(runDir, 'model'), async (tmp) => {
    await saveMultiTaskModel(model, tmp, {
      inputShape: data.train.inputShape,
      ...(data.preprocessor ? { preprocessing: data.preprocessor } : {}),
      classNames: classNamesOf(config),
    });
  });
  if (data.preprocessor) writeFileAtomic(join(runDir, 'preprocessing.json'), JSON.stringify(data.preprocessor, null, 2) + '\n', "the run's preprocessing.json");
  const parameters = model.parameterCount();
  optimizer.dispose();
  model.model.dispose();
  return { result, evaluation, seconds: (Date.now() - started) / 1000, parameters };
}

/** Class names of multiclass tasks given as a list in the experiment. */
function classNamesOf(config: ExperimentConfig): Record<string, string[]> {
  return Object.fromEntries(config.tasks.filter((t) => Array.isArray(t.classes)).map((t) => [t.name, t.classes as string[]]));
}

/**
 * Run an experiment: train the multi-task model (and, when `config.baselines`, one
 * single-task model per task with the same encoder and budget), evaluate on the test
 * split, and write the run folder: config.json, metrics.jsonl, checkpoint/, model/,
 * baselines/<task>/, summary.json and summary.md (AdaShare also: search-checkpoint/, the
 * policy search's checkpoint, and policy.json, the policy it chose).
 *
 * Everything that can be checked is checked before the run folder is touched (the
 * config, its memory needs, the data, the model, method and optimizer it builds); then
 * the folder is opened (see `openRunFolder`: marked, locked, writable, a resume's
 * overrides recorded) and released when the run ends or fails.
 */
export async function runExperiment(
  experiment: ExperimentConfig,
  options: RunOptions & { backend?: string; baselines?: boolean; /** The experiment's data, already loaded (by `loadExperimentData` from this config). */ data?: ExperimentData } = {},
): Promise<RunSummary> {
  const requested = withCliSettings(experiment, options);
  const runDir = options.runDir ?? join('runs', requested.name);
  const log = options.log ?? ((l: string) => console.log(l));
  if (options.resume && options.force) {
    throw new MtlError({
      code: 'run.bad_options',
      path: runDir,
      expected: '--resume (continue the run) or --force (replace it), not both',
      found: 'both',
      fix: 'drop one of them',
    });
  }
  assertSafeRunLocation(runDir);
  const data = prepareExperiment(requested, options.data);
  const run = openRunFolder(runDir, requested, { mode: options.resume ? 'resume' : 'new', ...(options.force ? { force: true } : {}), log });
  try {
    const config = run.config;
    log(`data: ${data.train.size} training / ${data.validation ? `${data.validation.size} validation / ` : ''}${data.test.size} test examples, tasks ${config.tasks.map((t) => t.name).join(', ')}`);
    const mtl = await trainOne(config, data, undefined, runDir, { ...options, log });
    const summary: RunSummary = {
      name: config.name,
      ...(options.backend ? { backend: options.backend } : {}),
      multiTask: {
        evaluation: mtl.evaluation,
        epochs: mtl.result.history.length,
        steps: mtl.result.steps,
        seconds: mtl.seconds,
        parameters: mtl.parameters,
        ...(data.validation && mtl.result.evaluation
          ? { validation: { final: mtl.result.evaluation, byEpoch: mtl.result.history.map((h) => h.evaluation!) } }
          : {}),
      },
    };
    writeSummary(runDir, summary, deltaMetricsOf(config));
    if (options.baselines ?? config.baselines) await runBaselines(config, { ...options, runDir, log }, data);
    const final = readSummary(runDir)!;
    log('\n' + formatSummary(final));
    return final;
  } finally {
    run.lock.release();
  }
}

/**
 * The checks of a run that touch no file: the experiment's memory needs (see
 * memoryEstimate.ts), its data (labels, sizes; loaded here unless given), and that its
 * model, weighting method and optimizer build. Returns the data.
 */
function prepareExperiment(config: ExperimentConfig, loaded?: ExperimentData): ExperimentData {
  checkMemory(config);
  const data = loaded ?? loadExperimentData(config);
  buildWeighting(config, config.tasks.map((t) => t.name));
  buildOptimizer(config).dispose();
  withSeededRandom(config.seed, () => buildModel(config, buildTasks(config), data.train.inputShape)).model.dispose();
  return data;
}

/** Train the single-task baselines of an experiment into `<runDir>/baselines/<task>/` and update the summary's Δm. */
export async function runBaselines(experiment: ExperimentConfig, options: RunOptions = {}, data?: ExperimentData): Promise<RunSummary> {
  const requested = withCliSettings(experiment, options);
  const runDir = options.runDir ?? join('runs', requested.name);
  const log = options.log ?? ((l: string) => console.log(l));
  // Called on its own (mtl baselines): check and open the run folder; within runExperiment it is open already.
  assertSafeRunLocation(runDir);
  const loaded = data ?? prepareExperiment(requested);
  // Within runExperiment (data given) the folder is already open and locked by that run.
  const run = openRunFolder(runDir, requested, { mode: 'baselines', log, ...(data ? { reentrant: true } : {}) });
  try {
    const config = run.config;
    const summary: RunSummary = readSummary(runDir) ?? { name: config.name };
    summary.singleTask = summary.singleTask ?? {};
    for (const task of config.tasks) {
      log(`\nsingle-task baseline: ${task.name}`);
      const dir = join(runDir, 'baselines', task.name);
      const resume = (options.resume ?? false) && (existsSync(join(dir, 'checkpoint')) || hasSearchCheckpoint(join(dir, SEARCH_CHECKPOINT_DIR)));
      const stl = await trainOne(config, loaded, [task.name], dir, { ...options, resume, log });
      summary.singleTask[task.name] = {
        evaluation: stl.evaluation[task.name]!,
        epochs: stl.result.history.length,
        seconds: stl.seconds,
        parameters: stl.parameters,
      };
      writeSummary(runDir, summary, deltaMetricsOf(config));
    }
    return readSummary(runDir)!;
  } finally {
    run.lock.release();
  }
}

/**
 * The experiment as asked for on the command line: `--epochs N` replaces
 * `training.epochs` and `--learning-rate X` the optimizer's learning rate, so the
 * config.json written for a new run is the one that reproduces it (a resume records
 * them as overrides instead).
 */
function withCliSettings(config: ExperimentConfig, options: RunOptions): ExperimentConfig {
  let out = config;
  if (options.epochs !== undefined && options.epochs !== out.training.epochs) out = { ...out, training: { ...out.training, epochs: options.epochs } };
  if (options.learningRate !== undefined && options.learningRate !== out.training.optimizer.learningRate) {
    out = { ...out, training: { ...out.training, optimizer: { ...out.training.optimizer, learningRate: options.learningRate } } };
  }
  return out;
}
