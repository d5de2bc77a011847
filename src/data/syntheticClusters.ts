import { MtlError } from '../errors.js';
import { Random } from '../random/random.js';
import { ArrayDataset, type TaskLabels } from './dataset.js';

/** Options of {@link syntheticClusters}. */
export interface SyntheticClustersArgs {
  seed: number | string;
  /** Number of tasks in each cluster; tasks are named by cluster letter and position (`a1`, `a2`, …, `b1`, …). @defaultValue [3, 3] */
  clusters?: readonly number[];
  /** Input dimension d. @defaultValue 32 */
  inputDim?: number;
  /** How alike the tasks of one cluster are: the cosine between a task's direction and its cluster's, in [0, 1]. @defaultValue 0.99 */
  relatedness?: number;
  /** How alike two clusters are: the cosine between their directions, in [0, 1). @defaultValue 0.5 */
  clusterSimilarity?: number;
  /** Standard deviation of the label noise (each task's signal has variance 1). @defaultValue 0.5 */
  noiseStd?: number;
  /** @defaultValue 400 */
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
 * Cluster c has a unit direction u_c in input space, any two at cosine κ
 * (`clusterSimilarity`). Task t of cluster c is the linear regression y_t = u_tᵀx + ε with
 * u_t = ρ·u_c + √(1 − ρ²)·e_t (e_t a random unit vector orthogonal to u_c, ρ = `relatedness`),
 * x ~ N(0, I_d) and ε ~ N(0, σ²): every task's signal has variance 1.
 *
 * Its experiment (examples/planted-clusters.yaml) shares an encoder that is a bottleneck of
 * one linear unit (reduced-rank multi-task regression, `encoder: { type: mlp, hidden: [1],
 * activation: linear }`): the tasks of a cluster need the same direction, so training them
 * together pools their noisy labels and beats training each alone with few examples per
 * input dimension; tasks of different clusters want different directions from the one
 * unit, which must settle between them, so sharing across clusters hurts. In a joint run,
 * the lookahead affinity is positive within a cluster and negative across. docs/grouping.md
 * has the measured figures.
 *
 * @throws MtlError `data.synthetic_args` for sizes that are not positive integers,
 *   cosines outside their ranges, or fewer input dimensions than clusters + 1.
 * @example
 * ```ts
 * const { train, test } = syntheticClusters({ seed: 0 });
 * // train.taskNames = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'], train.inputShape = [32]
 * ```
 */
export function syntheticClusters(args: SyntheticClustersArgs): { train: ArrayDataset; test: ArrayDataset; tasks: string[] } {
  const { seed, clusters = [3, 3], inputDim = 32, relatedness = 0.99, clusterSimilarity = 0.5, noiseStd = 0.5, trainSize = 400, testSize = 2000 } = args;
  for (const [name, v] of Object.entries({ inputDim, trainSize, testSize })) {
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
  if (!(clusterSimilarity >= 0 && clusterSimilarity < 1)) {
    throw new MtlError({ code: 'data.synthetic_args', path: 'syntheticClusters: clusterSimilarity', expected: 'a cosine in [0, 1)', found: String(clusterSimilarity) });
  }
  if (clusters.length + 1 > inputDim) {
    throw new MtlError({
      code: 'data.synthetic_args',
      path: 'syntheticClusters: inputDim',
      expected: `at least clusters + 1 = ${clusters.length + 1} dimensions (the clusters' directions need their own orthogonal parts)`,
      found: String(inputDim),
      fix: `set inputDim to ${clusters.length + 1} or more`,
    });
  }
  const params = new Random(`clusters-params:${seed}`);
  // Orthonormal w_0, o_1, …, o_C (Gram–Schmidt on Gaussian draws); cluster c's direction is
  // u_c = √κ·w_0 + √(1 − κ)·o_c, so every two clusters' directions have cosine κ.
  const basis: Float64Array[] = [];
  for (let k = 0; k <= clusters.length; k++) {
    const v = Float64Array.from({ length: inputDim }, () => params.normal());
    for (const u of basis) {
      const p = dot(u, v);
      for (let q = 0; q < inputDim; q++) v[q]! -= p * u[q]!;
    }
    basis.push(unit(v));
  }
  const kappa = clusterSimilarity;
  const clusterDirections = clusters.map((_, c) => Float64Array.from(basis[0]!, (w, q) => Math.sqrt(kappa) * w + Math.sqrt(1 - kappa) * basis[c + 1]![q]!));
  const names = clusterTaskNames(clusters);
  const cluster: number[] = clusters.flatMap((size, c) => new Array<number>(size).fill(c));
  // u_t = ρ·u_c + √(1 − ρ²)·e_t, e_t a random unit vector orthogonal to u_c.
  const own = Math.sqrt(1 - relatedness * relatedness);
  const taskDirections = cluster.map((c) => {
    const u = clusterDirections[c]!;
    const e = Float64Array.from({ length: inputDim }, () => params.normal());
    const p = dot(e, u);
    for (let q = 0; q < inputDim; q++) e[q]! -= p * u[q]!;
    const eu = unit(e);
    return Float64Array.from(u, (x, q) => relatedness * x + own * eu[q]!);
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
        let p = 0;
        for (let q = 0; q < inputDim; q++) p += u[q]! * row[q]!;
        targets[t]!.values[r] = p + noiseStd * random.normal();
      });
    }
    return new ArrayDataset({ data: x, shape: [n, inputDim] }, targets, `synthetic clusters ${split} (${clusters.join('+')} tasks, seed ${seed})`);
  };
  return { train: make('train', trainSize), test: make('test', testSize), tasks: names };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let q = 0; q < a.length; q++) s += a[q]! * b[q]!;
  return s;
}

function unit(v: Float64Array): Float64Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
