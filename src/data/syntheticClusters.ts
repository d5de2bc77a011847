import { MtlError } from '../errors.js';
import { Random } from '../training/random.js';
import { ArrayDataset, type TaskLabels } from './dataset.js';

/** Options of {@link syntheticClusters}. */
export interface SyntheticClustersArgs {
  seed: number | string;
  /** Number of tasks in each cluster; tasks are named by cluster letter and position (`a1`, `a2`, …, `b1`, …). @defaultValue [3, 3] */
  clusters?: readonly number[];
  /** Input dimension d. @defaultValue 32 */
  inputDim?: number;
  /** Latent features per cluster, K. @defaultValue 4 */
  features?: number;
  /**
   * How alike the tasks of one cluster are: the cosine between a task's weights and its
   * cluster's shared weights, in [0, 1]. @defaultValue 0.95
   */
  relatedness?: number;
  /** Standard deviation of the label noise (each task's signal has variance 1). @defaultValue 1 */
  noiseStd?: number;
  /** @defaultValue 250 */
  trainSize?: number;
  /** @defaultValue 2000 */
  testSize?: number;
}

/** Task names of a cluster layout: `a1`, `a2`, … for the first cluster, `b1`, … for the second. */
export function clusterTaskNames(clusters: readonly number[]): string[] {
  return clusters.flatMap((size, c) => Array.from({ length: size }, (_, k) => `${String.fromCharCode(97 + c)}${k + 1}`));
}

/**
 * A planted task-grouping benchmark: tasks in clusters, related within a cluster and
 * competing across clusters, so that the right grouping is known.
 *
 * Cluster c owns K orthonormal input directions U_c = [u_{c,1} … u_{c,K}] (all clusters'
 * directions are orthogonal). Task t of cluster c is the linear regression
 * y_t = w_tᵀ U_cᵀ x + ε with x ~ N(0, I_d), ε ~ N(0, σ²), and unit weights w_t = ρ·w_c +
 * √(1 − ρ²)·e_t: w_c is the cluster's shared unit vector, e_t a unit vector orthogonal to
 * it, ρ = `relatedness`. Every task's signal has variance 1, and the tasks of a cluster lie
 * close to one direction U_c w_c of the input space.
 *
 * Trained with a shared encoder that is a bottleneck of one linear unit (reduced-rank
 * multi-task regression: `encoder: { type: mlp, hidden: [1], activation: linear }`), the
 * tasks of one cluster share that direction: training them together pools their noisy
 * labels and beats training each alone when data are scarce (d = 32 inputs, 200 training
 * examples). Tasks of two clusters want orthogonal directions from the one unit, so sharing
 * across clusters hurts, and their lookahead affinities in a joint run are negative, the
 * ones within a cluster positive. docs/grouping.md has the measured figures.
 *
 * @throws MtlError `data.synthetic_args` for sizes that are not positive integers,
 *   relatedness outside [0, 1], or more cluster directions than input dimensions.
 * @example
 * ```ts
 * const { train, test } = syntheticClusters({ seed: 0 });
 * // train.taskNames = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'], train.inputShape = [32]
 * ```
 */
export function syntheticClusters(args: SyntheticClustersArgs): { train: ArrayDataset; test: ArrayDataset; tasks: string[] } {
  const { seed, clusters = [3, 3], inputDim = 32, features = 4, relatedness = 0.95, noiseStd = 1, trainSize = 250, testSize = 2000 } = args;
  for (const [name, v] of Object.entries({ inputDim, features, trainSize, testSize })) {
    if (!Number.isInteger(v) || v < 1) throw new MtlError({ code: 'data.synthetic_args', path: `syntheticClusters: ${name}`, expected: 'a positive integer', found: String(v) });
  }
  if (!Array.isArray(clusters) || clusters.length === 0 || clusters.length > 26 || !clusters.every((c) => Number.isInteger(c) && c >= 1)) {
    throw new MtlError({ code: 'data.synthetic_args', path: 'syntheticClusters: clusters', expected: 'a list of 1 to 26 cluster sizes, each a positive integer', found: JSON.stringify(clusters) });
  }
  if (!(relatedness >= 0 && relatedness <= 1)) {
    throw new MtlError({ code: 'data.synthetic_args', path: 'syntheticClusters: relatedness', expected: 'a cosine in [0, 1]', found: String(relatedness) });
  }
  if (!(noiseStd >= 0 && Number.isFinite(noiseStd))) {
    throw new MtlError({ code: 'data.synthetic_args', path: 'syntheticClusters: noiseStd', expected: 'a finite number ≥ 0', found: String(noiseStd) });
  }
  if (clusters.length * features > inputDim) {
    throw new MtlError({
      code: 'data.synthetic_args',
      path: 'syntheticClusters: inputDim',
      expected: `at least clusters × features = ${clusters.length * features} dimensions (each cluster has its own orthogonal directions)`,
      found: String(inputDim),
      fix: `set inputDim to ${clusters.length * features} or more`,
    });
  }
  const params = new Random(`clusters-params:${seed}`);
  // Orthonormal directions for all clusters at once (Gram–Schmidt on Gaussian draws).
  const directions: Float64Array[] = [];
  for (let k = 0; k < clusters.length * features; k++) {
    const v = Float64Array.from({ length: inputDim }, () => params.normal());
    for (const u of directions) {
      let p = 0;
      for (let q = 0; q < inputDim; q++) p += u[q]! * v[q]!;
      for (let q = 0; q < inputDim; q++) v[q]! -= p * u[q]!;
    }
    directions.push(unit(v));
  }
  const names = clusterTaskNames(clusters);
  const cluster: number[] = clusters.flatMap((size, c) => new Array<number>(size).fill(c));
  const shared = clusters.map(() => unit(Float64Array.from({ length: features }, () => params.normal())));
  // w_t = ρ·w_c + √(1 − ρ²)·e_t with e_t a unit vector orthogonal to w_c: unit norm, cos(w_t, w_c) = ρ.
  const own = Math.sqrt(1 - relatedness * relatedness);
  const weights = cluster.map((c) => {
    const wc = shared[c]!;
    const e = Float64Array.from({ length: features }, () => params.normal());
    let p = 0;
    for (let k = 0; k < features; k++) p += e[k]! * wc[k]!;
    for (let k = 0; k < features; k++) e[k]! -= p * wc[k]!;
    const norm = Math.hypot(...e);
    return Float64Array.from(wc, (w, k) => relatedness * w + (norm > 0 ? (own * e[k]!) / norm : 0));
  });
  // The direction of each task in input space: U_c w_t.
  const taskDirections = weights.map((w, i) => {
    const out = new Float64Array(inputDim);
    const base = cluster[i]! * features;
    for (let k = 0; k < features; k++) for (let q = 0; q < inputDim; q++) out[q]! += w[k]! * directions[base + k]![q]!;
    return out;
  });
  const make = (split: 'train' | 'test', n: number): ArrayDataset => {
    const random = new Random(`clusters-${split}:${seed}`);
    const x = new Float32Array(n * inputDim);
    const targets: Record<string, TaskLabels> = Object.fromEntries(names.map((t) => [t, { values: new Float32Array(n), width: 1 }]));
    for (let r = 0; r < n; r++) {
      const row = x.subarray(r * inputDim, (r + 1) * inputDim);
      for (let q = 0; q < inputDim; q++) row[q] = random.normal();
      names.forEach((t, i) => {
        const u = taskDirections[i]!;
        let y = 0;
        for (let q = 0; q < inputDim; q++) y += u[q]! * row[q]!;
        targets[t]!.values[r] = y + noiseStd * random.normal();
      });
    }
    return new ArrayDataset({ data: x, shape: [n, inputDim] }, targets, `synthetic clusters ${split} (${clusters.join('+')} tasks, seed ${seed})`);
  };
  return { train: make('train', trainSize), test: make('test', testSize), tasks: names };
}

function unit(v: Float64Array): Float64Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
