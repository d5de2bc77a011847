/** Run a loss-only method on a sequence of steps' losses (no gradients). */
import type { WeightingMethod, WeightingOutput } from '../../src/weighting/method.js';
import { contextFor } from './helpers.js';

export function lossRun<S, O>(
  method: WeightingMethod<S, O>,
  losses: readonly number[],
  options?: Record<string, unknown>,
  state?: S,
): WeightingOutput<S> & { options: O } {
  const context = contextFor(losses.length);
  const resolved = method.resolveOptions(options, context);
  const out = method.update({ losses, epoch: 0, step: 0 }, state ?? method.init(context, resolved), resolved);
  return { ...out, options: resolved };
}
