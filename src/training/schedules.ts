import { MtlError, describeValue } from '../errors.js';

/**
 * A learning-rate schedule, evaluated per step:
 * - `constant`;
 * - `step`: multiply by `gamma` every `stepEpochs` epochs;
 * - `cosine`: cosine decay from the base rate to `minLearningRate` over the run
 *   (Loshchilov & Hutter, ICLR 2017, without restarts), after `warmupEpochs` of linear warm-up.
 */
export type ScheduleSpec =
  | { type: 'constant' }
  | { type: 'step'; stepEpochs: number; gamma?: number }
  | { type: 'cosine'; minLearningRate?: number; warmupEpochs?: number };

/** The learning rate at a point of training; `progress` counts epochs as a real number (epoch + fraction done). */
export function learningRateAt(base: number, schedule: ScheduleSpec, progress: number, totalEpochs: number): number {
  switch (schedule.type) {
    case 'constant':
      return base;
    case 'step':
      return base * (schedule.gamma ?? 0.1) ** Math.floor(progress / schedule.stepEpochs);
    case 'cosine': {
      const warmup = schedule.warmupEpochs ?? 0;
      const min = schedule.minLearningRate ?? 0;
      if (progress < warmup) return (base * (progress + 1e-12)) / warmup;
      const span = Math.max(totalEpochs - warmup, 1e-12);
      const fraction = Math.min(Math.max((progress - warmup) / span, 0), 1);
      return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * fraction));
    }
    default:
      throw new MtlError({
        code: 'config.unknown_schedule',
        path: 'training.schedule.type',
        expected: 'one of "constant", "step", "cosine"',
        found: describeValue((schedule as { type?: unknown }).type),
      });
  }
}
