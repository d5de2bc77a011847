/**
 * The two-objective toy of CAGrad (Liu, Liu, Jin, Stone & Liu, "Conflict-Averse
 * Gradient Descent for Multi-task Learning", NeurIPS 2021, figure 1) as a check of a
 * weighting method on its own, outside any model: x ∈ R² is the "shared parameter",
 * each step hands the method the two losses and their 2×2 Gramian (or the gradient
 * rows), forms its update and takes an Adam step on x, as the paper's toy script does.
 *
 * Pareto set of the toy (derivation). Where x2 < 0 only the quadratic parts act:
 * L_i = c(x2)·q_i(x) with c = tanh(−x2/2), q1 = ((x1−7)² + 0.1(x2+8)²)/10 − 20,
 * q2 = ((x1+7)² + 0.1(x2+8)²)/10 − 20. A point is Pareto-stationary when
 * λ∇L1 + (1−λ)∇L2 = 0 for some λ ∈ [0, 1]:
 * - x1-component: c·(λ(x1−7) + (1−λ)(x1+7))/5 = 0, so x1 = 14λ − 7 ∈ [−7, 7];
 * - x2-component: c′(x2)·q̄ + c(x2)·0.02(x2+8) = 0 with c′ = −½sech²(x2/2) and
 *   q̄ = λq1 + (1−λ)q2 = 19.6λ(1−λ) + 0.01(x2+8)² − 20 (after substituting x1), which
 *   has exactly one root x2*(λ) in x2 < 0, and it lies in (−9.5, −8) (for x2 > −8 both
 *   terms are positive); x2*(½) = −8.3551, the figure's star (the mean loss's optimum).
 * Each such point is the only stationary point in x2 < 0 of the scalarisation
 * λL1 + (1−λ)L2, which tends to 0 as x2 → 0⁻ and to +∞ as |x| grows, so it is that
 * scalarisation's minimum over x2 < 0, hence not dominated there. Nor is it dominated
 * from x2 ≥ 0, where both losses are ≥ −6.2 (the log terms are clamped at log 5e-6 + 6,
 * c1 ≤ 1) while on the curve one loss is ≤ −15.09. Every other point is dominated (the
 * x2 ≥ 0 half by the curve's middle, where both losses are −15.09). The Pareto set is
 * therefore exactly the curve {(14λ − 7, x2*(λ)) : λ ∈ [0, 1]}, a slightly bent segment
 * from (−7, −8.4345) through (0, −8.3551) to (7, −8.4345).
 *
 * Two measures of how far a point is from it:
 * - {@link paretoFrontDistance}: the Euclidean distance to that curve;
 * - {@link paretoStationarity}: min_{λ∈[0,1]} ‖λ∇L1 + (1−λ)∇L2‖ (the norm of MGDA's
 *   min-norm direction), 0 exactly at Pareto-stationary points. It also fades to 0 far
 *   up the x2 > 0 half (at the best x1: 0.09 at x2 = 5, 4e-3 at x2 = 8, 8e-5 at
 *   x2 = 12), where all gradients vanish with c1′ and sech²(x2) although every point is
 *   dominated, so it alone does not prove that a run reached the front; use both.
 */
import type { WeightingMethod } from '../src/weighting/method.js';
import { adamStep, initAdam } from '../src/weighting/adamStep.js';

/** Clamp of the toy's log terms (the reference code's LOWER). */
const LOWER = 5e-6;

/** The toy's losses and their gradients at one point, in float64. */
export interface ToyEvaluation {
  losses: [number, number];
  /** ∇L1 and ∇L2, each [∂/∂x1, ∂/∂x2]. */
  gradients: [[number, number], [number, number]];
}

/**
 * The CAGrad toy's losses and analytic gradients at x = (x1, x2), in float64; the same
 * function as `cagradToy` in `data/synthetic.ts` (tf ops), differentiated by hand
 * (product rule on L_i = c1 f_i + c2 f_i_sq; a clamped log term has gradient 0).
 *
 * @example
 * ```ts
 * cagradToyValueAndGradient(1, -2).losses; // ≈ [−12.216, −10.0835]
 * ```
 */
export function cagradToyValueAndGradient(x1: number, x2: number): ToyEvaluation {
  const th = Math.tanh(x2);
  const sech2 = 1 - th * th;
  const a = -0.5 * x1 - 3.5 + th; // 0.5(−x1−7) − tanh(−x2)
  const b = -0.5 * x1 + 3.5 - th; // 0.5(−x1+3) + tanh(−x2) + 2
  const logTerm = (u: number, du1: number, du2: number): [number, number, number] =>
    Math.abs(u) > LOWER ? [Math.log(Math.abs(u)) + 6, du1 / u, du2 / u] : [Math.log(LOWER) + 6, 0, 0];
  const [f1, f1d1, f1d2] = logTerm(a, -0.5, sech2);
  const [f2, f2d1, f2d2] = logTerm(b, -0.5, -sech2);
  const half = Math.tanh(x2 / 2);
  const halfSech2 = 1 - half * half;
  const c1 = Math.max(half, 0);
  const c2 = Math.max(-half, 0);
  const c1d = half > 0 ? 0.5 * halfSech2 : 0;
  const c2d = half < 0 ? -0.5 * halfSech2 : 0;
  const tail = 0.1 * (x2 + 8) * (x2 + 8);
  const q1 = ((7 - x1) * (7 - x1) + tail) / 10 - 20;
  const q2 = ((x1 + 7) * (x1 + 7) + tail) / 10 - 20;
  const qd2 = 0.02 * (x2 + 8);
  return {
    losses: [c1 * f1 + c2 * q1, c1 * f2 + c2 * q2],
    gradients: [
      [c1 * f1d1 + c2 * ((x1 - 7) / 5), c1d * f1 + c1 * f1d2 + c2d * q1 + c2 * qd2],
      [c1 * f2d1 + c2 * ((x1 + 7) / 5), c1d * f2 + c1 * f2d2 + c2d * q2 + c2 * qd2],
    ],
  };
}

/**
 * Pareto-stationarity of the toy at x: min_{λ∈[0,1]} ‖λ∇L1 + (1−λ)∇L2‖ (closed form,
 * λ* = clip(g2·(g2 − g1)/‖g1 − g2‖², 0, 1)). 0 exactly where the two gradients are
 * anti-parallel or one vanishes; see the module comment for why it is not enough alone.
 *
 * @example
 * ```ts
 * paretoStationarity([0, -8.3552]); // ≈ 0 (on the Pareto set)
 * ```
 */
export function paretoStationarity(x: readonly [number, number]): number {
  const [g1, g2] = cagradToyValueAndGradient(x[0], x[1]).gradients;
  const d0 = g1[0] - g2[0];
  const d1 = g1[1] - g2[1];
  const dd = d0 * d0 + d1 * d1;
  const lambda = dd > 0 ? Math.min(1, Math.max(0, -(g2[0] * d0 + g2[1] * d1) / dd)) : 1;
  return Math.hypot(g2[0] + lambda * d0, g2[1] + lambda * d1);
}

/**
 * x2*(λ): the root in (−9.5, −8) of c′(x2)·q̄ + c(x2)·0.02(x2 + 8) = 0 (module comment),
 * by bisection to float64 precision.
 */
export function paretoSetHeight(lambda: number): number {
  const residual = (x2: number): number => {
    const t = Math.tanh(-x2 / 2);
    const qBar = 19.6 * lambda * (1 - lambda) + 0.01 * (x2 + 8) * (x2 + 8) - 20;
    return -0.5 * (1 - t * t) * qBar + t * 0.02 * (x2 + 8);
  };
  let lo = -9.5; // residual < 0
  let hi = -8; // residual > 0
  for (let k = 0; k < 100 && hi - lo > 1e-13; k++) {
    const mid = (lo + hi) / 2;
    if (residual(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

let paretoCurve: Float64Array | undefined;

/**
 * The toy's Pareto set as a polyline of 1401 points (x1 from −7 to 7 in steps of 0.01),
 * interleaved [x1, x2, x1, x2, …]; computed once. The chord error is below 1e-9.
 */
export function paretoSet(): Float64Array {
  if (!paretoCurve) {
    const n = 1401;
    paretoCurve = new Float64Array(2 * n);
    for (let k = 0; k < n; k++) {
      const lambda = k / (n - 1);
      paretoCurve[2 * k] = 14 * lambda - 7;
      paretoCurve[2 * k + 1] = paretoSetHeight(lambda);
    }
  }
  return paretoCurve;
}

/**
 * Euclidean distance from x to the toy's Pareto set (the curve derived in the module
 * comment), through the polyline of {@link paretoSet}.
 *
 * @example
 * ```ts
 * paretoFrontDistance([0, -8.3552]); // ≈ 0
 * paretoFrontDistance([-8.5, 7.5]);  // ≈ 15.9 (a start of the paper's figure)
 * ```
 */
export function paretoFrontDistance(x: readonly [number, number]): number {
  const curve = paretoSet();
  let best = Infinity;
  for (let k = 0; k + 3 < curve.length; k += 2) {
    const ax = curve[k]!;
    const ay = curve[k + 1]!;
    const dx = curve[k + 2]! - ax;
    const dy = curve[k + 3]! - ay;
    const t = Math.min(1, Math.max(0, ((x[0] - ax) * dx + (x[1] - ay) * dy) / (dx * dx + dy * dy)));
    best = Math.min(best, Math.hypot(x[0] - ax - t * dx, x[1] - ay - t * dy));
  }
  return best;
}

/**
 * Steps of a toy run: 100,000, as the paper's toy script (Adam, lr 1e-3; its loss plots
 * span 0–100K). With lr 1e-3 a coordinate moves at most ~1e-3 per step and the starts
 * lie 3.7–17.5 from the Pareto set. Measured first steps within 0.05 of the set, from
 * (−8.5, 7.5) / (−8.5, −5) / (9, 9): MGDA ~24K / 8K / 25K, CAGrad (c = 0.5) ~59K / 9K /
 * 69K (it then travels along the set to the mean loss's optimum), Nash-MTL ~15K / 3K /
 * 15K, UPGrad ~52K / 4K / 55K without its ridge but ~121K / 4K / 127K with TorchJD's
 * default ridge 1e-4 (see the toy test).
 */
export const PARETO_TOY_STEPS = 100_000;

/** Arguments of {@link runParetoToy}. */
export interface ParetoToyArgs {
  /** The weighting method (any `needs`; the toy has no encoder, so both gradient modes coincide: the "representation" is x). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  method: WeightingMethod<any, any>;
  /** The method's options as a user writes them (resolved here with its `resolveOptions`, defaults filling the rest). */
  options?: Record<string, unknown>;
  /** Starting point, e.g. one of `CAGRAD_TOY_STARTS`. */
  start: readonly [number, number];
  /** @defaultValue {@link PARETO_TOY_STEPS} (100,000) */
  steps?: number;
  /** Adam's learning rate (betas 0.9, 0.999, ε 1e-8, as torch.optim.Adam). @defaultValue 0.001 */
  learningRate?: number;
  /**
   * Steps per "epoch" for `endEpoch`. The toy is deterministic and full-batch, so one
   * step is one pass over its data. @defaultValue 1
   */
  stepsPerEpoch?: number;
  /**
   * Constant added to the losses the METHOD sees (the gradients are unchanged). The toy's
   * losses are negative (down to −20); methods that take logs or ratios of losses (FAMO,
   * DB-MTL, GLS, MoCo, MGDA's `loss` normalisers, GradNorm's rates) assume positive ones,
   * and an offset of 20 makes them ≥ 0. @defaultValue 0 (the paper's losses)
   */
  lossOffset?: number;
  /** Keep every this-many-th point of the trajectory (the start and the end are always kept). @defaultValue steps / 500 */
  recordEvery?: number;
  /** Seed handed to the method's `init`. @defaultValue 0 */
  seed?: number;
  /**
   * Stop at the first step whose point is within this distance of the Pareto set
   * (checked every 10 steps): "does it reach the front, and when". @defaultValue undefined (run all steps)
   */
  stopWithin?: number;
  /** Stop after this much wall-clock time (benchmarks); `stoppedBy` then says `time`. @defaultValue undefined (no limit) */
  maxSeconds?: number;
}

/** Outcome of {@link runParetoToy}. */
export interface ParetoToyResult {
  method: string;
  start: [number, number];
  /** Steps actually taken (fewer than asked when the run stopped early, see `stoppedBy`). */
  steps: number;
  /** Subsampled trajectory, from the start to the final point. */
  trajectory: [number, number][];
  final: [number, number];
  /** L1, L2 at the final point (without `lossOffset`). */
  losses: [number, number];
  /** The last step's task weights. */
  weights: number[];
  /** {@link paretoStationarity} at the final point. */
  stationarity: number;
  /** {@link paretoFrontDistance} at the final point. */
  frontDistance: number;
  /** True when x or the update stopped being finite (the run stops there). */
  diverged: boolean;
  /** Why the run ended: all `steps` taken, `front` reached (`stopWithin`), `time` out (`maxSeconds`), or `diverged`. */
  stoppedBy: 'steps' | 'front' | 'time' | 'diverged';
}

/**
 * Run a weighting method on the CAGrad toy from one start (Liu et al., NeurIPS 2021):
 * each step evaluates L1, L2 and their gradients g1, g2 at x (analytically), hands the
 * method the losses and the Gramian [[g1·g1, g1·g2], [g2·g1, g2·g2]] (and the gradient
 * rows for `gradients` methods), forms the update Σ_t w_t g_t (or the method's
 * `direction`) and takes an Adam step on x. `afterStep` gets the losses recomputed at
 * the new x; `endEpoch` the epoch-mean losses every `stepsPerEpoch` steps.
 * Pure JavaScript in float64: no tensors are created; a step costs little beyond the
 * method's own `update`.
 *
 * @example
 * ```ts
 * const mgda = weightingMethods['mgda']!;
 * const r = runParetoToy({ method: mgda, start: [-8.5, 7.5] });
 * r.frontDistance < 0.02; // true: MGDA reaches the Pareto set
 * ```
 */
export function runParetoToy(args: ParetoToyArgs): ParetoToyResult {
  const { method, start } = args;
  const steps = args.steps ?? PARETO_TOY_STEPS;
  const learningRate = args.learningRate ?? 1e-3;
  const stepsPerEpoch = args.stepsPerEpoch ?? 1;
  const offset = args.lossOffset ?? 0;
  const recordEvery = Math.max(1, Math.floor(args.recordEvery ?? steps / 500));
  const context = { taskNames: ['L1', 'L2'], seed: args.seed ?? 0 };
  const options = method.resolveOptions(args.options, context);
  let state = method.init(context, options);
  let x: number[] = [start[0], start[1]];
  let adam = initAdam(2);
  const trajectory: [number, number][] = [[x[0]!, x[1]!]];
  let weights: number[] = [1, 1];
  let epochSums = [0, 0];
  let diverged = false;
  let stoppedBy: ParetoToyResult['stoppedBy'] = 'steps';
  const deadline = args.maxSeconds === undefined ? Infinity : performance.now() + 1000 * args.maxSeconds;
  let taken = 0;
  let current = cagradToyValueAndGradient(x[0]!, x[1]!);
  for (let step = 0; step < steps; step++) {
    const [g1, g2] = current.gradients;
    const shown = current.losses.map((l) => l + offset);
    const needsGradients = method.needs !== 'losses';
    const out = method.update(
      {
        losses: shown,
        ...(needsGradients
          ? {
              gramian: [
                [g1[0] * g1[0] + g1[1] * g1[1], g1[0] * g2[0] + g1[1] * g2[1]],
                [g1[0] * g2[0] + g1[1] * g2[1], g2[0] * g2[0] + g2[1] * g2[1]],
              ],
            }
          : {}),
        ...(method.needs === 'gradients' ? { gradients: [Float32Array.from(g1), Float32Array.from(g2)] } : {}),
        epoch: Math.floor(step / stepsPerEpoch),
        step,
      },
      state,
      options,
    );
    state = out.state;
    weights = out.weights;
    const direction = out.direction
      ? [out.direction[0]!, out.direction[1]!]
      : [weights[0]! * g1[0] + weights[1]! * g2[0], weights[0]! * g1[1] + weights[1]! * g2[1]];
    if (!direction.every(Number.isFinite)) {
      diverged = true;
      break;
    }
    const next = adamStep(x, direction, adam, { learningRate });
    adam = next.state;
    if (!next.params.every(Number.isFinite)) {
      diverged = true;
      break;
    }
    x = next.params;
    taken = step + 1;
    const after = cagradToyValueAndGradient(x[0]!, x[1]!);
    if (method.afterStep) {
      state = method.afterStep({ before: shown, after: after.losses.map((l) => l + offset) }, state, options);
    }
    epochSums = epochSums.map((s, t) => s + shown[t]!);
    if (method.endEpoch && taken % stepsPerEpoch === 0) {
      state = method.endEpoch(epochSums.map((s) => s / stepsPerEpoch), state, options);
      epochSums = [0, 0];
    }
    current = after;
    const reached = args.stopWithin !== undefined && taken % 10 === 0 && paretoFrontDistance([x[0]!, x[1]!]) < args.stopWithin;
    const late = taken % 100 === 0 && performance.now() > deadline;
    if (reached) stoppedBy = 'front';
    else if (late && taken < steps) stoppedBy = 'time';
    if (taken % recordEvery === 0 || taken === steps || reached || late) trajectory.push([x[0]!, x[1]!]);
    if (reached || late) break;
  }
  const final: [number, number] = [x[0]!, x[1]!];
  if (diverged) {
    stoppedBy = 'diverged';
    trajectory.push(final);
  }
  return {
    method: method.name,
    start: [start[0], start[1]],
    steps: taken,
    trajectory,
    final,
    losses: current.losses,
    weights,
    stationarity: paretoStationarity(final),
    frontDistance: paretoFrontDistance(final),
    diverged,
    stoppedBy,
  };
}

/** Distance to the Pareto set under which a toy run counts as on the front (see the toy test for the measurement). */
export const PARETO_FRONT_TOLERANCE = 0.05;

/**
 * A Markdown table of toy runs: method (or `label`) × start → steps taken (and why the
 * run stopped early), final (x1, x2), L1, L2, stationarity, distance to the Pareto set,
 * and on-front (distance below `tolerance`).
 *
 * @example
 * ```ts
 * console.log(formatParetoToyTable([runParetoToy({ method: weightingMethods['mgda']!, start: [9, 9] })]));
 * ```
 */
export function formatParetoToyTable(results: readonly (ParetoToyResult & { label?: string })[], tolerance = PARETO_FRONT_TOLERANCE): string {
  const lines = [
    '| method | start | steps | final (x1, x2) | L1 | L2 | stationarity | distance to front | on front |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const onFront = !r.diverged && r.frontDistance < tolerance;
    lines.push(
      `| ${r.label ?? r.method} | (${r.start[0]}, ${r.start[1]}) | ${r.steps}${r.stoppedBy === 'steps' ? '' : ` (${r.stoppedBy})`} | ` +
        `(${r.final[0].toFixed(3)}, ${r.final[1].toFixed(3)}) | ` +
        `${r.losses[0].toFixed(3)} | ${r.losses[1].toFixed(3)} | ${r.stationarity.toExponential(2)} | ` +
        `${r.frontDistance.toExponential(2)} | ${onFront ? 'yes' : r.diverged ? 'no (diverged)' : 'no'} |`,
    );
  }
  return lines.join('\n');
}
