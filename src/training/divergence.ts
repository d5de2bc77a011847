import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../errors.js';
import { nativeTensorSums } from '../backend/native/tensorSums.js';
import type { CheckpointSummary } from './checkpoint.js';

/** Weights above this in absolute value make a checkpoint a bad restart point (resuming from it diverges again). */
export const EXPLODED_WEIGHT = 1e6;

/** What went non-finite at a step. */
export type DivergenceKind = 'loss' | 'gradient' | 'weights';

/**
 * A training step produced a non-finite loss, a non-finite gradient, or non-finite task
 * weights from the weighting method. Thrown by the train step BEFORE the method's
 * state, the optimizer or any weight changes; the trainer turns it into the final
 * `training.diverged` error with the run's checkpoint (see `divergenceError`).
 */
export class DivergenceError extends MtlError {
  constructor(
    readonly step: number,
    readonly epoch: number,
    readonly tasks: readonly string[],
    readonly kind: DivergenceKind,
    readonly detail: string,
  ) {
    super({
      code: 'training.diverged',
      path: `step ${step} (epoch ${epoch + 1})${tasks.length > 0 ? `, task${tasks.length > 1 ? 's' : ''} ${tasks.map((t) => `"${t}"`).join(', ')}` : ''}`,
      expected: 'finite losses, gradients and task weights',
      found: detail,
      fix: 'lower the learning rate, clip gradients (training.clipNorm) or check the data for extreme values',
    });
    this.name = 'DivergenceError';
  }
}

/** Indices of the tensors holding a NaN or an infinity (or summing past float32's range). One small download. */
export function nonFiniteTensors(tensors: readonly tf.Tensor[]): number[] {
  if (tensors.length === 0) return [];
  const sums = nativeTensorSums(tensors) ?? tf.tidy(() => tf.stack(tensors.map((g) => tf.sum(g))).dataSync());
  const bad: number[] = [];
  sums.forEach((v, i) => {
    if (!Number.isFinite(v)) bad.push(i);
  });
  return bad;
}

/**
 * What is wrong with a gradient {@link nonFiniteTensors} flagged, for a message: "a
 * non-finite gradient (NaN)", or, when every element is finite but they sum past
 * float32's range, "an exploding gradient (...)" (Adam's second moment of such a
 * gradient overflows on the next operation anyway).
 */
export function describeGradient(tensor: tf.Tensor): string {
  const values = tensor.dataSync();
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return `a non-finite gradient (${values[i]})`;
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]!));
  return `an exploding gradient (elements up to ${max.toExponential(2)}, summing past float32's range)`;
}

/**
 * The final error of a diverged run: where it diverged (step, epoch, tasks, what), and
 * what to do given the run's last checkpoint: resume from it with a lower learning
 * rate when its weights are finite and not exploded (max |w| ≤ {@link EXPLODED_WEIGHT});
 * otherwise, or without a checkpoint, start again with a lower learning rate.
 */
export function divergenceError(
  error: DivergenceError,
  context: { checkpointDir?: string; checkpoint?: CheckpointSummary; learningRate: number },
): MtlError {
  const lower = formatRate(context.learningRate / 10);
  const c = context.checkpoint;
  let fix: string;
  if (!context.checkpointDir) {
    fix = `lower the learning rate (e.g. to ${lower}), clip gradients (training.clipNorm) or check the data for extreme values`;
  } else if (!c) {
    fix = `no checkpoint was written before the divergence: start again with a lower learning rate, e.g. mtl train <experiment> --force --learning-rate ${lower} (or clip gradients with training.clipNorm)`;
  } else if (!c.finite || c.maxAbsWeight > EXPLODED_WEIGHT) {
    fix =
      `the last checkpoint (${context.checkpointDir}, step ${c.step}, epoch ${c.epoch + 1}) already holds ${c.finite ? `weights up to |w| = ${c.maxAbsWeight.toExponential(2)}` : 'non-finite weights'}, ` +
      `not a good restart point: start again with a lower learning rate, e.g. mtl train <experiment> --force --learning-rate ${lower} (or clip gradients with training.clipNorm)`;
  } else {
    fix =
      `the last checkpoint (${context.checkpointDir}, step ${c.step}, epoch ${c.epoch + 1}, max |w| = ${c.maxAbsWeight.toPrecision(3)}) is intact and finite: ` +
      `resume from it with a lower learning rate: mtl train <experiment> --resume --learning-rate ${lower} (recorded in the run's config.json), or clip gradients (training.clipNorm)`;
  }
  return new MtlError({ code: 'training.diverged', path: error.path, expected: error.expected, found: error.found, fix });
}

function formatRate(v: number): string {
  return Number(v.toPrecision(3)).toString();
}
