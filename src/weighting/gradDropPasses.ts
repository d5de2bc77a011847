/**
 * The two passes of GradDrop's batched rule (see `gradientSignDropout`) over T gradient
 * rows of batch × features values (batch-major), in JavaScript, or the native addon's
 * (native/graddrop.cc) once the native path is installed: the same operations in the same
 * order, so the same numbers to the bit. The native path registers its passes here
 * (`useGradDropPasses`) rather than the method importing the backend, which keeps the
 * weighting methods free of Node-only code.
 *
 * In JavaScript, sign(A) is taken branch-free (a ReLU representation is zero about half
 * the time, and a branch on that is a coin flip), and the rows are read in memory order:
 * up to three tasks side by side (zero rows for the missing ones), more one task at a
 * time. Every sum adds its terms in task order either way.
 */

/** The passes; every array is the caller's, and `summed`, `keep` hold at least max(T, 3) × features values. */
export interface GradDropPasses {
  /** summed[i·features + j] += Σ_b sign(values[b, j]) · rows[i][b, j], b ascending. */
  signedSums(rows: readonly Float32Array[], values: Float32Array, batchSize: number, features: number, summed: Float64Array): void;
  /**
   * direction[b, j] = Σ_i rows[i][b, j] · keep[i·features + j] (rounded to float32), and
   * norms += [Σ (Σ_i rows[i])², Σ direction²] over the values in order.
   */
  maskedSum(rows: readonly Float32Array[], keep: Float64Array, batchSize: number, features: number, direction: Float32Array, norms: Float64Array): void;
}

/** The JavaScript passes. */
export const javascriptGradDropPasses: GradDropPasses = {
  signedSums(rows, values, batchSize, features, summed) {
    if (rows.length <= 3) sumSignedOfThree(rows, values, batchSize, features, summed);
    else sumSignedOfMany(rows, values, batchSize, features, summed);
  },
  maskedSum(rows, keep, batchSize, features, direction, norms) {
    if (rows.length <= 3) maskOfThree(rows, keep, batchSize, features, direction, norms);
    else maskOfMany(rows, keep, batchSize, features, direction, norms);
  },
};

let current: GradDropPasses = javascriptGradDropPasses;

/** The passes GradDrop uses now. */
export function gradDropPasses(): GradDropPasses {
  return current;
}

/** Use these passes from now on (the native path's install); null goes back to JavaScript. */
export function useGradDropPasses(passes: GradDropPasses | null): void {
  current = passes ?? javascriptGradDropPasses;
}

/** Up to three rows, padded with a row of zeros (a +0 term changes no sum here). */
function threeRows(rows: readonly Float32Array[]): [Float32Array, Float32Array, Float32Array] {
  const zeros = rows.length < 3 ? new Float32Array(rows[0]!.length) : undefined;
  return [rows[0]!, rows[1] ?? zeros!, rows[2] ?? zeros!];
}

/** The first three task-major parts of `features` values of a per-task array. */
function threeParts(perTask: Float64Array, features: number): [Float64Array, Float64Array, Float64Array] {
  return [perTask.subarray(0, features), perTask.subarray(features, 2 * features), perTask.subarray(2 * features, 3 * features)];
}

/** Pass 1 for up to three tasks: summed[i·features + j] += sign(A[b, j]) · row_i[b, j]. */
function sumSignedOfThree(rows: readonly Float32Array[], values: Float32Array, batchSize: number, features: number, summed: Float64Array): void {
  const [r0, r1, r2] = threeRows(rows);
  const [s0, s1, s2] = threeParts(summed, features);
  for (let b = 0, k = 0; b < batchSize; b++) {
    for (let j = 0; j < features; j++, k++) {
      const v = values[k]!;
      const sign = +(v > 0) - +(v < 0);
      s0[j] = s0[j]! + sign * r0[k]!;
      s1[j] = s1[j]! + sign * r1[k]!;
      s2[j] = s2[j]! + sign * r2[k]!;
    }
  }
}

/** Pass 1 for any number of tasks, one task at a time. */
function sumSignedOfMany(rows: readonly Float32Array[], values: Float32Array, batchSize: number, features: number, summed: Float64Array): void {
  const signs = new Float32Array(values.length);
  for (let k = 0; k < values.length; k++) signs[k] = +(values[k]! > 0) - +(values[k]! < 0);
  rows.forEach((row, i) => {
    const s = summed.subarray(i * features, (i + 1) * features);
    for (let b = 0, k = 0; b < batchSize; b++) {
      for (let j = 0; j < features; j++, k++) s[j] = s[j]! + signs[k]! * row[k]!;
    }
  });
}

/** Pass 2 for up to three tasks: the masked sum, and the squares of it and of the plain sum. */
function maskOfThree(rows: readonly Float32Array[], keep: Float64Array, batchSize: number, features: number, direction: Float32Array, norms: Float64Array): void {
  const [r0, r1, r2] = threeRows(rows);
  const [k0, k1, k2] = threeParts(keep, features);
  let plainSquares = 0;
  let directionSquares = 0;
  for (let b = 0, k = 0; b < batchSize; b++) {
    for (let j = 0; j < features; j++, k++) {
      const g0 = r0[k]!;
      const g1 = r1[k]!;
      const g2 = r2[k]!;
      const out = Math.fround(0 + g0 * k0[j]! + g1 * k1[j]! + g2 * k2[j]!);
      direction[k] = out;
      const plain = 0 + g0 + g1 + g2;
      plainSquares += plain * plain;
      directionSquares += out * out;
    }
  }
  norms[0] = norms[0]! + plainSquares;
  norms[1] = norms[1]! + directionSquares;
}

/** Pass 2 for any number of tasks, one task at a time. */
function maskOfMany(rows: readonly Float32Array[], keep: Float64Array, batchSize: number, features: number, direction: Float32Array, norms: Float64Array): void {
  const d = rows[0]!.length;
  const masked = new Float64Array(d);
  const plain = new Float64Array(d);
  rows.forEach((row, i) => {
    const factor = keep.subarray(i * features, (i + 1) * features);
    for (let b = 0, k = 0; b < batchSize; b++) {
      for (let j = 0; j < features; j++, k++) {
        const g = row[k]!;
        masked[k] = masked[k]! + g * factor[j]!;
        plain[k] = plain[k]! + g;
      }
    }
  });
  let plainSquares = 0;
  let directionSquares = 0;
  for (let k = 0; k < d; k++) {
    const out = Math.fround(masked[k]!);
    direction[k] = out;
    plainSquares += plain[k]! * plain[k]!;
    directionSquares += out * out;
  }
  norms[0] = norms[0]! + plainSquares;
  norms[1] = norms[1]! + directionSquares;
}
