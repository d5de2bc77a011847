/** Helpers for the weighting tests: run a method on fixed gradients, and the shared example gradients. */
import { gramianOf } from '../../src/linalg/matrix.js';
import type { WeightingContext, WeightingMethod, WeightingOutput } from '../../src/weighting/method.js';

/** A context with T tasks named t0, t1, … */
export function contextFor(t: number, seed = 1): WeightingContext {
  return { taskNames: Array.from({ length: t }, (_, i) => `t${i}`), seed };
}

/** The fixed example gradients (rows) of the golden tests. */
export const examples = {
  /** Two conflicting gradients: g1·g2 = −0.5. */
  conflicting: [[1, 0], [-0.5, 1]],
  /** Two aligned gradients (g1·g2 = 2 > 0), g2 is MGDA's min-norm point. */
  aligned: [[2, 0], [1, 1]],
  /** Orthogonal gradients of norms 1 and 2. */
  orthogonal: [[1, 0], [0, 2]],
  /** The second task's gradient is zero. */
  zero: [[1, 2], [0, 0]],
  /** Two identical gradients. */
  identical: [[1, 1], [1, 1]],
  /** A huge scale gap (‖g1‖ = 1000, ‖g2‖ ≈ 0.0014) with conflict. */
  scaleGap: [[1000, 0], [-0.001, 0.001]],
  /** Three tasks: g1·g2 = −0.5, g2·g3 = −0.4, g1·g3 = 0.2. */
  three: [[1, 0, 0], [-0.5, 1, 0], [0.2, -0.3, 1]],
} as const satisfies Record<string, readonly (readonly number[])[]>;

/** What {@link run} needs besides the method. */
export interface RunArgs<S> {
  rows: readonly (readonly number[])[];
  losses?: readonly number[];
  options?: Record<string, unknown>;
  state?: S;
  seed?: number;
}

/** Resolve options, init (unless a state is given) and take one update on the rows' Gramian and gradients. */
export function run<S, O>(method: WeightingMethod<S, O>, args: RunArgs<S>): WeightingOutput<S> & { options: O } {
  const t = args.rows.length;
  const context = contextFor(t, args.seed ?? 1);
  const options = method.resolveOptions(args.options, context);
  const state = args.state ?? method.init(context, options);
  const out = method.update(
    {
      losses: args.losses ?? args.rows.map((_, i) => i + 1),
      gramian: gramianOf(args.rows.map((r) => [...r])),
      gradients: args.rows.map((r) => Float32Array.from(r)),
      epoch: 0,
      step: 0,
    },
    state,
    options,
  );
  return { ...out, options };
}

/** Run `steps` updates in sequence on the same rows, returning every output. */
export function runSteps<S, O>(method: WeightingMethod<S, O>, args: RunArgs<S>, steps: number): (WeightingOutput<S> & { options: O })[] {
  const outs: (WeightingOutput<S> & { options: O })[] = [];
  let state = args.state;
  for (let k = 0; k < steps; k++) {
    const out = run(method, { ...args, ...(state === undefined ? {} : { state }) });
    outs.push(out);
    state = out.state;
  }
  return outs;
}

/** The combined direction Σ_t w_t g_t. */
export function combine(rows: readonly (readonly number[])[], weights: readonly number[]): number[] {
  return rows[0]!.map((_, k) => rows.reduce((s, row, t) => s + weights[t]! * row[k]!, 0));
}

/** g_tᵀd for every task. */
export function projections(rows: readonly (readonly number[])[], d: readonly number[]): number[] {
  return rows.map((row) => row.reduce((s, v, k) => s + v * d[k]!, 0));
}
