import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MtlError } from '../errors.js';
import { deltaM, type MetricComparison } from '../evaluation/deltaM.js';
import type { Evaluation } from '../evaluation/evaluate.js';
import { saveModel } from '../io/modelFiles.js';
import { fit, type FitArgs, type FitResult } from '../training/fit.js';
import { installSeededRandom } from '../training/seededRandom.js';
import { buildModel, buildOptimizer, buildTasks, buildWeighting } from './buildExperiment.js';
import type { ExperimentConfig } from './config.js';
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
import { Random } from '../training/random.js';

/** The AdaShare policy a run folder saved. */
export function readPolicy(runDir: string): Record<string, boolean[]> {
  const path = join(runDir, 'policy.json');
  if (!existsSync(path)) {
    throw new MtlError({ code: 'run.missing_policy', path, expected: 'the AdaShare policy saved by the run', found: 'no such file', fix: 'start the run again without --resume' });
  }
  return (JSON.parse(readFileSync(path, 'utf8')) as { policy: Record<string, boolean[]> }).policy;
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
  /** Override the experiment's epochs (quick checks). */
  epochs?: number;
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
  /** Per task: the main metric of the multi-task model and of its baseline. */
  comparison?: MetricComparison[];
  /** Δm in percent over every metric of every task (lower is better). */
  deltaM?: number;
}

function summaryPath(runDir: string): string {
  return join(runDir, 'summary.json');
}

export function readSummary(runDir: string): RunSummary | undefined {
  return existsSync(summaryPath(runDir)) ? (JSON.parse(readFileSync(summaryPath(runDir), 'utf8')) as RunSummary) : undefined;
}

function writeSummary(runDir: string, summary: RunSummary): void {
  if (summary.multiTask && summary.singleTask) {
    const comparison: MetricComparison[] = [];
    for (const [task, mtl] of Object.entries(summary.multiTask.evaluation)) {
      const stl = summary.singleTask[task];
      if (!stl) continue;
      for (const [metric, value] of Object.entries(mtl.metrics)) {
        const base = stl.evaluation.metrics[metric];
        if (base === undefined) continue;
        const direction = ['mse', 'rmse', 'mae'].includes(metric) ? 'lower' : 'higher';
        comparison.push({ task, metric, direction, multiTask: value, singleTask: base });
      }
    }
    summary.comparison = comparison;
    summary.deltaM = comparison.length > 0 ? deltaM(comparison) : undefined;
  }
  writeFileSync(summaryPath(runDir), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(runDir, 'summary.md'), formatSummary(summary));
}

/** The summary as a Markdown table: per task and metric, MTL next to single-task, then Δm. */
export function formatSummary(summary: RunSummary): string {
  const lines = [`# ${summary.name}`, ''];
  if (summary.multiTask) {
    lines.push('| task | metric | multi-task | single-task |', '| --- | --- | --- | --- |');
    for (const [task, e] of Object.entries(summary.multiTask.evaluation)) {
      for (const [metric, value] of Object.entries(e.metrics)) {
        const base = summary.singleTask?.[task]?.evaluation.metrics[metric];
        lines.push(`| ${task} | ${metric} | ${value.toFixed(4)} | ${base === undefined ? '—' : base.toFixed(4)} |`);
      }
    }
    lines.push('');
    if (summary.deltaM !== undefined) lines.push(`Δm = ${summary.deltaM >= 0 ? '+' : ''}${summary.deltaM.toFixed(2)}% (mean relative change against the single-task baselines; lower is better)`);
    else lines.push('Δm: no single-task baselines yet (run `mtl baselines <experiment>` or train with --baselines).');
    lines.push(
      '',
      `multi-task: ${summary.multiTask.parameters} parameters, ${summary.multiTask.epochs} epoch${summary.multiTask.epochs === 1 ? '' : 's'}, ${summary.multiTask.seconds.toFixed(0)} s` +
        (summary.singleTask
          ? `; single-task: ${Object.values(summary.singleTask).reduce((s, b) => s + b.parameters, 0)} parameters in ${Object.keys(summary.singleTask).length} models`
          : ''),
    );
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
  };
}

async function trainOne(
  config: ExperimentConfig,
  data: ExperimentData,
  taskNames: readonly string[] | undefined,
  runDir: string,
  options: RunOptions,
): Promise<{ result: FitResult; evaluation: Evaluation; seconds: number; parameters: number }> {
  // Same seed for the multi-task run and every baseline: same initialisation stream, same data order.
  installSeededRandom(config.seed);
  const tasks = buildTasks(config, taskNames);
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
    mkdirSync(runDir, { recursive: true });
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
    writeFileSync(policyPath, JSON.stringify({ policy: search.policy, executeProbabilities: search.executeProbabilities }, null, 2) + '\n');
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
  await saveModel(model.model, join(runDir, 'model'), { tasks: names, architecture: model.architecture });
  const parameters = model.parameterCount();
  optimizer.dispose();
  model.model.dispose();
  return { result, evaluation, seconds: (Date.now() - started) / 1000, parameters };
}

/**
 * Run an experiment: train the multi-task model (and, when `config.baselines`, one
 * single-task model per task with the same encoder and budget), evaluate on the test
 * split, and write the run folder: config.json, metrics.jsonl, checkpoint/, model/,
 * baselines/<task>/, summary.json and summary.md (AdaShare also: search-checkpoint/, the
 * policy search's checkpoint, and policy.json, the policy it chose).
 */
export async function runExperiment(
  experiment: ExperimentConfig,
  options: RunOptions & { backend?: string; baselines?: boolean; /** The experiment's data, already loaded (by `loadExperimentData` from this config). */ data?: ExperimentData } = {},
): Promise<RunSummary> {
  const config = withEpochOverride(experiment, options);
  const runDir = options.runDir ?? join('runs', config.name);
  const log = options.log ?? ((l: string) => console.log(l));
  prepareRunDir(runDir, config, options.resume ?? false);
  const data = options.data ?? loadExperimentData(config);
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
  writeSummary(runDir, summary);
  if (options.baselines ?? config.baselines) await runBaselines(config, { ...options, runDir, log }, data);
  const final = readSummary(runDir)!;
  log('\n' + formatSummary(final));
  return final;
}

/** Train the single-task baselines of an experiment into `<runDir>/baselines/<task>/` and update the summary's Δm. */
export async function runBaselines(experiment: ExperimentConfig, options: RunOptions = {}, data?: ExperimentData): Promise<RunSummary> {
  const config = withEpochOverride(experiment, options);
  const runDir = options.runDir ?? join('runs', config.name);
  const log = options.log ?? ((l: string) => console.log(l));
  mkdirSync(runDir, { recursive: true });
  if (!existsSync(join(runDir, 'config.json'))) writeFileSync(join(runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const loaded = data ?? loadExperimentData(config);
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
    writeSummary(runDir, summary);
  }
  return readSummary(runDir)!;
}

/**
 * The experiment as it is run: an `epochs` override (`mtl train --epochs N`) replaces
 * `training.epochs`, so the config.json written to the run folder is the one that
 * reproduces the run.
 */
function withEpochOverride(config: ExperimentConfig, options: RunOptions): ExperimentConfig {
  if (options.epochs === undefined || options.epochs === config.training.epochs) return config;
  return { ...config, training: { ...config.training, epochs: options.epochs } };
}

/** Create the run folder, or check that a resumed run is the same experiment. Never deletes a checkpoint. */
function prepareRunDir(runDir: string, config: ExperimentConfig, resume: boolean): void {
  const configPath = join(runDir, 'config.json');
  if (resume) {
    if (!existsSync(configPath)) {
      throw new MtlError({
        code: 'run.missing',
        path: runDir,
        expected: 'a run folder with config.json to resume',
        found: 'none',
        fix: 'start the run without --resume',
      });
    }
    const saved = readFileSync(configPath, 'utf8');
    const now = JSON.stringify(config, null, 2) + '\n';
    if (saved !== now) {
      throw new MtlError({
        code: 'run.config_changed',
        path: configPath,
        expected: 'the same experiment as the run was started with',
        found: 'a different experiment',
        fix: 'resume with the original experiment file, or start a new run under another name',
      });
    }
    return;
  }
  if (existsSync(join(runDir, 'checkpoint')) || hasSearchCheckpoint(join(runDir, SEARCH_CHECKPOINT_DIR)) || existsSync(summaryPath(runDir))) {
    throw new MtlError({
      code: 'run.exists',
      path: runDir,
      expected: 'a new run folder',
      found: 'a run folder that already holds a run',
      fix: 'pass --resume to continue it, --force to overwrite it, or choose another --run-dir',
    });
  }
  mkdirSync(runDir, { recursive: true });
  writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');
}
