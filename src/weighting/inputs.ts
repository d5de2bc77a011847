/**
 * Checks on what a weighting method receives in `update`, shared by every method: a
 * missing Gramian or gradient matrix, or one of the wrong size, is a coded error that
 * names the method, never a NaN three steps later.
 */
import { MtlError } from '../errors.js';
import { squareMatrixProblem, type Matrix } from '../linalg/matrix.js';
import type { WeightingInput } from './method.js';

/** The per-task losses, checked to be finite numbers (at least one task). */
export function requireLosses(method: string, input: Pick<WeightingInput, 'losses'>): readonly number[] {
  const losses = input.losses;
  if (!Array.isArray(losses) || losses.length === 0 || losses.some((l) => typeof l !== 'number' || !Number.isFinite(l))) {
    throw new MtlError({
      code: 'weighting.bad_losses',
      path: `weighting.${method}.update(input.losses)`,
      expected: 'one finite loss per task',
      found: Array.isArray(losses) ? `[${losses.join(', ')}]` : String(losses),
      fix: 'check the task losses for NaN or Infinity (a diverging task, a bad label)',
    });
  }
  return losses;
}

/**
 * The per-task losses, checked to be finite and ≥ 0, for methods whose rule divides by
 * a loss or takes its logarithm (FAMO, DB-MTL, MoCo, GradNorm: the papers take losses
 * bounded below by 0). A negative loss (a log-likelihood, a loss shifted by a constant)
 * would silently flip a weight's sign or give NaN; it is a coded error instead.
 */
export function requireNonNegativeLosses(method: string, input: Pick<WeightingInput, 'losses'>, why: string): readonly number[] {
  const losses = requireLosses(method, input);
  const negative = losses.findIndex((l) => l < 0);
  if (negative >= 0) {
    throw new MtlError({
      code: 'weighting.negative_loss',
      path: `weighting.${method}.update(input.losses[${negative}])`,
      expected: `task losses ≥ 0 (${why})`,
      found: `[${losses.join(', ')}]`,
      fix: `make the task loss non-negative (e.g. subtract its lower bound), or pick a method without this assumption (equal, uncertainty, mgda, pcgrad, ...)`,
    });
  }
  return losses;
}

/** The T×T Gramian of a `gramian` method, checked against the number of losses. */
export function requireGramian(method: string, input: WeightingInput): Matrix {
  const t = requireLosses(method, input).length;
  const problem = input.gramian === undefined ? 'no Gramian' : squareMatrixProblem(input.gramian, t);
  if (problem !== undefined) {
    throw new MtlError({
      code: 'weighting.missing_gramian',
      path: `weighting.${method}.update(input.gramian)`,
      expected: `the ${t}×${t} Gramian of the per-task gradients (the method needs 'gramian')`,
      found: problem,
      fix: 'compute per-task gradients and pass M = G Gᵀ (the trainer does this when method.needs is "gramian")',
    });
  }
  return input.gramian!;
}

/** The T per-task gradient rows of a `gradients` method, checked to have one common length. */
export function requireGradients(method: string, input: WeightingInput): readonly Float32Array[] {
  const t = requireLosses(method, input).length;
  const rows = input.gradients;
  const problem =
    rows === undefined
      ? 'no gradients'
      : rows.length !== t
        ? `${rows.length} rows for ${t} tasks`
        : rows.some((r) => r.length !== rows[0]!.length)
          ? `rows of different lengths [${rows.map((r) => r.length).join(', ')}]`
          : undefined;
  if (problem !== undefined) {
    throw new MtlError({
      code: 'weighting.missing_gradients',
      path: `weighting.${method}.update(input.gradients)`,
      expected: `${t} per-task gradient rows of one length (the method needs 'gradients')`,
      found: problem,
      fix: 'pass the per-task gradient matrix (the trainer does this when method.needs is "gradients")',
    });
  }
  return rows!;
}

/**
 * The number of features per example of the representation that gradient rows of d
 * values were taken on: checks that `batchSize` is a whole number dividing d and that
 * `values`, when given, has d entries (a coded error otherwise).
 */
export function representationFeatures(method: string, d: number, representation: NonNullable<WeightingInput['representation']>): number {
  const { batchSize, values } = representation;
  if (!(Number.isInteger(batchSize) && batchSize > 0 && d % batchSize === 0) || (values !== undefined && values.length !== d)) {
    throw new MtlError({
      code: 'weighting.bad_representation',
      path: `weighting.${method}.update(input.representation)`,
      expected: `the representation the ${d}-value gradient rows were taken on: a batch size dividing ${d}${values !== undefined ? `, and ${d} values` : ''}`,
      found: `batchSize ${batchSize}${values !== undefined ? `, ${values.length} values` : ''}`,
      fix: 'pass the batch size (and values, flattened batch-major) of the representation the rows were taken on, or omit representation in parameters mode',
    });
  }
  return d / batchSize;
}

/**
 * Each gradient row summed over the batch: with `representation` (representation mode),
 * rows of batchSize × features values (batch-major) become rows of `features` values, one
 * per feature of the representation, which mean the same thing from one batch to the next;
 * without it (parameters mode) the rows as given. For methods that carry per-coordinate
 * state across steps.
 */
export function perFeatureRows(method: string, rows: readonly Float32Array[], representation: WeightingInput['representation']): readonly Float32Array[] {
  if (!representation) return rows;
  const { batchSize } = representation;
  const features = representationFeatures(method, rows[0]!.length, representation);
  return rows.map((row) => {
    const sums = new Float32Array(features);
    for (let b = 0, k = 0; b < batchSize; b++) for (let j = 0; j < features; j++, k++) sums[j] = sums[j]! + row[k]!;
    return sums;
  });
}

/**
 * The gradient rows as one row-major T×d Float32Array: a view when they already lie back
 * to back in one buffer (as the trainer passes them), else a copy. Per-coordinate rules
 * read a coordinate's T values from it with a stride of d, faster than going through the
 * array of rows.
 */
export function contiguousRows(rows: readonly Float32Array[]): Float32Array {
  const first = rows[0]!;
  const d = first.length;
  const adjacent = rows.every((r, i) => r.buffer === first.buffer && r.byteOffset === first.byteOffset + i * d * Float32Array.BYTES_PER_ELEMENT);
  if (adjacent) return new Float32Array(first.buffer, first.byteOffset, rows.length * d);
  const all = new Float32Array(rows.length * d);
  rows.forEach((r, i) => all.set(r, i * d));
  return all;
}

/** The gradient norms ‖g_t‖ = sqrt(M_tt) (negative rounding noise on the diagonal clipped to 0). */
export function gradientNorms(gramian: Matrix): number[] {
  return gramian.map((row, i) => Math.sqrt(Math.max(row[i]!, 0)));
}

/** Check that a method's state was made for this number of tasks. */
export function checkTaskCount(method: string, expected: number, found: number): void {
  if (expected !== found) {
    throw new MtlError({
      code: 'weighting.state_mismatch',
      path: `weighting.${method}.update(state)`,
      expected: `a state for ${found} tasks (the number of losses)`,
      found: `a state for ${expected} tasks`,
      fix: 'call init with the same task names as the training run (or start the run afresh)',
    });
  }
}
