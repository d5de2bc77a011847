/**
 * Adam on a few scalars with JSON state, for the methods that learn their own task
 * parameters (uncertainty log-variances, IMTL-L scales, GradNorm weights, FAMO logits).
 * Follows torch.optim.Adam exactly (Kingma & Ba, "Adam: A Method for Stochastic
 * Optimization", ICLR 2015), including its L2-style `weight_decay` (added to the gradient).
 */

/** Adam's moment estimates and step count, plain JSON. */
export interface AdamState {
  step: number;
  firstMoment: number[];
  secondMoment: number[];
}

/** Hyperparameters of {@link adamStep}. */
export interface AdamSettings {
  learningRate: number;
  /** @defaultValue 0.9 */
  beta1?: number;
  /** @defaultValue 0.999 */
  beta2?: number;
  /** @defaultValue 1e-8 */
  epsilon?: number;
  /** L2 penalty added to the gradient (torch semantics). @defaultValue 0 */
  weightDecay?: number;
}

/** A fresh Adam state for n parameters. */
export function initAdam(n: number): AdamState {
  return { step: 0, firstMoment: new Array<number>(n).fill(0), secondMoment: new Array<number>(n).fill(0) };
}

/** One Adam step: returns the new parameters and state (the inputs are not modified). */
export function adamStep(
  params: readonly number[],
  grads: readonly number[],
  state: AdamState,
  settings: AdamSettings,
): { params: number[]; state: AdamState } {
  const beta1 = settings.beta1 ?? 0.9;
  const beta2 = settings.beta2 ?? 0.999;
  const epsilon = settings.epsilon ?? 1e-8;
  const decay = settings.weightDecay ?? 0;
  const step = state.step + 1;
  const g = grads.map((x, i) => x + decay * params[i]!);
  const m = state.firstMoment.map((x, i) => beta1 * x + (1 - beta1) * g[i]!);
  const v = state.secondMoment.map((x, i) => beta2 * x + (1 - beta2) * g[i]! * g[i]!);
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  const next = params.map((p, i) => p - (settings.learningRate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + epsilon));
  return { params: next, state: { step, firstMoment: m, secondMoment: v } };
}
