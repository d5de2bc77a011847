import * as tf from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../architectures/multiTaskModel.js';
import { disposeBatch, type Batch, type Dataset } from '../data/dataset.js';
import { maskedMeanLoss } from '../tasks/losses.js';
import type { WeightingMethod } from '../weighting/method.js';
import { weightingMethods } from '../weighting/registry.js';
import { Random } from '../random/random.js';

/**
 * The start-of-training check of task scales: when the tasks' initial losses or the
 * norms of their gradients on the shared layers differ by more than
 * {@link SCALE_WARNING_RATIO}×, a weighting method that does not balance scales
 * (`WeightingMethod.balancesScales`) lets the largest task drive the shared layers
 * while the others learn on whatever representation it leaves them (a regression
 * target in the thousands against a classification loss near 1 is the usual case).
 */

/** Scales further apart than this (largest / smallest) are warned about. */
export const SCALE_WARNING_RATIO = 10;

/** Per task, the loss and the gradient norm on the shared variables at the start of training. */
export interface TaskScales {
  losses: Record<string, number>;
  /** ‖∂L_t/∂θ_shared‖; absent when the model has no shared variables. */
  gradientNorms?: Record<string, number>;
}

/**
 * Measure every task's loss (inference mode: no dropout, no batch-norm update) and the
 * norm of its gradient on the shared variables on one batch. Tasks without a label in
 * the batch are left out. No random draw and no state change: training is unaffected.
 */
export function measureTaskScales(model: MultiTaskModel, batch: Batch): TaskScales {
  const tasks = model.tasks.filter((t) => (batch.labelled[t.name] ?? 0) > 0);
  const lossOf = (name: string): tf.Scalar => {
    const t = tasks.find((k) => k.name === name)!;
    const out = model.forward(batch.x, false)[name]!;
    return maskedMeanLoss(t.exampleLosses(out, batch.labels[name]!), batch.masks[name]!);
  };
  const losses: Record<string, number> = {};
  const gradientNorms: Record<string, number> = {};
  const shared = model.sharedVariables as tf.Variable[];
  for (const t of tasks) {
    if (shared.length === 0) {
      losses[t.name] = tf.tidy(() => lossOf(t.name)).dataSync()[0]!;
      continue;
    }
    const { value, grads } = tf.variableGrads(() => lossOf(t.name), shared);
    losses[t.name] = value.dataSync()[0]!;
    const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
    gradientNorms[t.name] = norm.dataSync()[0]!;
    tf.dispose([value, norm, ...Object.values(grads)]);
  }
  return { losses, ...(shared.length > 0 ? { gradientNorms } : {}) };
}

/** The largest over the smallest positive value, with the tasks they belong to; undefined with fewer than two. */
function spread(values: Record<string, number>): { ratio: number; high: string; low: string } | undefined {
  const entries = Object.entries(values).filter(([, v]) => Number.isFinite(v) && v > 0);
  if (entries.length < 2) return undefined;
  entries.sort((a, b) => b[1] - a[1]);
  const [high, hv] = entries[0]!;
  const [low, lv] = entries[entries.length - 1]!;
  return { ratio: hv / lv, high, low };
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toExponential(2) : v.toPrecision(3));
const list = (values: Record<string, number>) => Object.entries(values).map(([t, v]) => `${t} ${fmt(v)}`).join(', ');

/**
 * The warning for scales more than {@link SCALE_WARNING_RATIO}× apart under a method
 * that does not balance them; undefined otherwise. It names the tasks and the fixes:
 * standardising regression targets, or a method that balances scales (those of the
 * registry that declare `balancesScales`).
 */
export function scaleWarning(scales: TaskScales, method: Pick<WeightingMethod<unknown, unknown>, 'name' | 'balancesScales'>): string | undefined {
  if (method.balancesScales) return undefined;
  const loss = spread(scales.losses);
  const grad = scales.gradientNorms ? spread(scales.gradientNorms) : undefined;
  const lossFlag = loss && loss.ratio > SCALE_WARNING_RATIO;
  const gradFlag = grad && grad.ratio > SCALE_WARNING_RATIO;
  if (!lossFlag && !gradFlag) return undefined;
  const what: string[] = [];
  if (lossFlag) what.push(`initial losses ${list(scales.losses)} (${fmt(loss.ratio)}× apart)`);
  if (gradFlag) what.push(`gradient norms on the shared layers ${list(scales.gradientNorms!)} (${fmt(grad.ratio)}× apart)`);
  const dominant = (gradFlag ? grad : loss)!;
  const balancing = Object.values(weightingMethods)
    .filter((m) => m.balancesScales)
    .map((m) => m.name);
  const loss1 = ['uncertainty', 'imtl-l', 'famo', 'gls', 'stch'].filter((n) => balancing.includes(n));
  const gradientBased = balancing.filter((n) => !loss1.includes(n) && n !== 'db-mtl' && n !== 'gradnorm');
  return (
    `warning: the tasks differ in scale at the start of training: ${what.join('; ')}. ` +
    `Weighting "${method.name}" does not balance scales, so "${dominant.high}" will dominate the shared layers and "${dominant.low}" may learn little. ` +
    `Fix: standardise regression targets (data.standardize: true in the experiment; the metrics stay in the targets' units), ` +
    `or use a method that balances scales: ${loss1.join(', ')} (loss-based), gradnorm, db-mtl, or a gradient method such as ${gradientBased.slice(0, 4).join(', ')}.`
  );
}

/** Arguments of {@link checkTaskScales}. */
export interface ScaleCheckArgs {
  model: MultiTaskModel;
  data: Dataset;
  method: Pick<WeightingMethod<unknown, unknown>, 'name' | 'balancesScales'>;
  batchSize: number;
  seed: number | string;
  log: (line: string) => void;
}

/**
 * Measure the task scales on one shuffled training batch (its own seeded shuffle, so
 * training's data order is unaffected) and log {@link scaleWarning} when it applies.
 * Returns the scales (undefined for a single-task model).
 */
export function checkTaskScales(args: ScaleCheckArgs): TaskScales | undefined {
  if (args.model.tasks.length < 2 || args.data.size === 0) return undefined;
  let scales: TaskScales | undefined;
  for (const batch of args.data.batches({ batchSize: args.batchSize, random: new Random(`${args.seed}:scale-check`) })) {
    try {
      scales = measureTaskScales(args.model, batch);
    } finally {
      disposeBatch(batch);
    }
    break;
  }
  if (!scales) return undefined;
  const warning = scaleWarning(scales, args.method);
  if (warning) args.log(warning);
  return scales;
}
