/**
 * The task-balancing interface. A method is two pure functions, `init` and `update`,
 * with all of its state an explicit JSON value that is passed in and returned
 * (checkpointable, replayable, testable outside any model). The one allowance: rows of
 * d numbers may be Float64Array, which `methodStateToJson` / `methodStateFromJson`
 * (weighting/stateJson.ts) carry through JSON exactly.
 *
 * The trainer never branches on a method's name, only on what the method declares it
 * `needs`:
 * - `losses`: only the per-task losses of the step (one backward pass of Σ w_t L_t);
 * - `gramian`: also the T×T Gramian M = G Gᵀ of the per-task gradients G (T×d),
 *   computed on the shared parameters or on the shared representation;
 * - `gradients`: the per-task gradient matrix itself (for the few methods whose rule
 *   is not a function of M, e.g. per-coordinate sign dropping).
 *
 * The result is per-task weights w (the shared parameters then get Σ_t w_t g_t), or,
 * for `gradients` methods, the combined direction itself.
 */

export type WeightingNeeds = 'losses' | 'gramian' | 'gradients';

/** Where per-task gradients are taken when a method needs them. */
export type GradientMode = 'parameters' | 'representation';

export interface WeightingContext {
  /** Task names, in the order of every per-task array. */
  taskNames: readonly string[];
  /** Seed for any randomness the method uses; the method carries its generator state in its own state. */
  seed: number;
}

export interface WeightingInput {
  /** This step's unweighted per-task losses (NaN-free; a task with no label in the batch is excluded upstream). */
  losses: readonly number[];
  /** T×T Gramian of the per-task gradients, when `needs` is `gramian`. */
  gramian?: readonly (readonly number[])[];
  /** Per-task gradient rows (T × d), when `needs` is `gradients`. */
  gradients?: readonly Float32Array[];
  /**
   * In `representation` mode, for `gradients` methods: the rows are gradients w.r.t. the
   * shared representation A of `batchSize` examples (flattened batch-major, d / batchSize
   * features each); `values` holds A itself, the same layout, for a method that declares
   * `readsRepresentation`. Absent in `parameters` mode.
   */
  representation?: { batchSize: number; values?: Float32Array };
  /** Epoch index (0-based) and global step index (0-based) of the step being taken. */
  epoch: number;
  step: number;
}

export interface WeightingOutput<S> {
  /** One weight per task: the update of the shared parameters is Σ_t weights[t] · g_t. */
  weights: number[];
  /** For `gradients` methods that are not a linear combination: the combined gradient (length d). */
  direction?: Float32Array;
  /**
   * For gradient methods: a factor per task on the gradient of the task's own
   * (task-specific) parameters, 1 when absent. DB-MTL sets 1/(L_t + 1e-8), so that a
   * task's head follows ∇ log L_t like the shared parameters' update.
   */
  taskGradientScales?: number[];
  state: S;
}

export interface WeightingMethod<S = unknown, O = Record<string, unknown>> {
  /** Registry name, as written in experiment files (e.g. `equal`, `static`). */
  readonly name: string;
  /** One-line description with the paper (authors, venue, year) where there is one. */
  readonly description: string;
  readonly needs: WeightingNeeds;
  /**
   * Whether the method copes with tasks whose losses (or gradients) differ in scale by
   * orders of magnitude, e.g. a regression target in the thousands next to a
   * classification loss near 1: true when its weights or direction are invariant to
   * rescaling one task's loss (log-loss and loss-ratio methods: `gls`, `stch`, `famo`,
   * `db-mtl`; learned scales: `uncertainty`, `imtl-l`; `gradnorm`; equal-progress and
   * bargaining directions: MGDA and its variants, IMTL-G, Nash-MTL, FairGrad, Aligned-MTL).
   * False when the largest task dominates the shared update (sums with fixed, random or
   * bounded weights: `equal`, `static`, `rlw`, `dwa`, `excess-mtl`; projections or
   * surgery of the sum: `pcgrad`, `cagrad`, `upgrad`, `gradvac`, `graddrop`, `sdmgrad`).
   * The trainer warns at the start of training when the tasks' scales differ by more
   * than 10× under a method that does not balance them.
   */
  readonly balancesScales: boolean;
  /** For `gradients` methods: whether `update` reads the representation's values, `input.representation.values` (the trainer then downloads them). */
  readonly readsRepresentation?: boolean;
  /** Gradient modes the method can work in; `losses` methods leave this empty. */
  readonly gradientModes: readonly GradientMode[];
  /** The options with their defaults filled in; throws an MtlError for a bad option. */
  resolveOptions(options: Record<string, unknown> | undefined, context: WeightingContext): O;
  init(context: WeightingContext, options: O): S;
  update(input: WeightingInput, state: S, options: O): WeightingOutput<S>;
  /**
   * Called once at the end of each epoch with the epoch-mean unweighted training
   * losses (e.g. Dynamic Weight Averaging uses them). Returns the new state.
   */
  endEpoch?(epochLosses: readonly number[], state: S, options: O): S;
  /**
   * Optional. Called after the optimizer step with this step's unweighted losses
   * recomputed on the SAME batch with the updated parameters (one extra forward pass,
   * no backward pass); returns the new state. A trainer calls it only when the method
   * defines it (FAMO, Liu et al., NeurIPS 2023, updates its task logits from
   * log L(before) − log L(after)).
   */
  afterStep?(losses: { before: readonly number[]; after: readonly number[] }, state: S, options: O): S;
}
