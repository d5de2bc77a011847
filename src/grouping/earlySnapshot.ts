import { MtlError } from '../errors.js';
import { branchAndBound, type BranchAndBoundOptions } from './branchAndBound.js';
import type { LossTable } from './lossTable.js';
import type { Selection } from './selection.js';

/** The share of training after which ESA records the candidates' losses. @defaultValue 0.2 */
export const EARLY_FRACTION = 0.2;

/**
 * The epoch whose validation losses the early-snapshot approximation reads: `fraction` of
 * the epochs, rounded, at least 1 (20% of 10 epochs: epoch 2).
 * @throws MtlError `grouping.bad_option` for a fraction outside (0, 1] or epochs < 1
 */
export function earlyEpoch(epochs: number, fraction = EARLY_FRACTION): number {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new MtlError({ code: 'grouping.bad_option', path: 'earlyFraction', expected: 'a share of training in (0, 1]', found: String(fraction) });
  }
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new MtlError({ code: 'grouping.bad_option', path: 'training.epochs', expected: 'a positive integer', found: String(epochs) });
  }
  return Math.max(1, Math.round(epochs * fraction));
}

/**
 * Standley et al.'s early-snapshot approximation (ESA, ICML 2020): the same branch and
 * bound as the exact search, on the candidates' validation losses recorded early in
 * training ({@link earlyEpoch}), so every candidate trains for a fifth of the time. The
 * table holds those early (normalised) losses.
 */
export function selectEsa(earlyTable: LossTable, budget: number, options: BranchAndBoundOptions = {}): Selection {
  return branchAndBound(earlyTable, budget, options);
}
