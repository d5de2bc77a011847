import { requireGradients, requireNonNegativeLosses } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link dualBalancing}. */
export interface DualBalancingOptions {
  /** EMA momentum β of the gradient buffer: ĝ ← g + β_k(ĝ − g). @defaultValue 0.9 */
  momentum: number;
  /** Decay σ of the momentum, β_k = β / k^σ at step k (1-based). @defaultValue 0 */
  momentumDecay: number;
}

/**
 * State of {@link dualBalancing}: the step count and the EMA buffer of the log-loss
 * gradients, T Float64Array rows of d (see `methodStateToJson`; number rows read the
 * same), null before the first step.
 */
export interface DualBalancingState {
  step: number;
  buffer: ArrayLike<number>[] | null;
}

/**
 * DB-MTL, dual balancing: the losses are balanced by a log transform (task gradients
 * ∇ log(L_t + 1e-8) = g_t/(L_t + 1e-8)), then the gradients by magnitude: an EMA
 * ĝ_t ← g_t + β(ĝ_t − g_t) of each, α_t = max_s ‖ĝ_s‖ / (‖ĝ_t‖ + 1e-8), and the update
 * Σ_t α_t ĝ_t. Lin, Ye, Xu, Chen & Zhang, "Dual-Balancing for Multi-Task Learning",
 * 2023 (arXiv:2308.12029).
 *
 * The update is not a combination of this step's gradients, so it is returned as
 * `direction`; `weights` are the α_t (for logging). Each task's own parameters (its
 * head) get ∇ log(L_t + 1e-8) = g_t/(L_t + 1e-8) (`taskGradientScales`), as in the
 * reference, where the log-losses are what is backpropagated. Limits: the buffer is T × d numbers
 * in the state (a checkpoint grows by ~11·T·d bytes of base64; keep d — the number of
 * shared parameters — modest); parameters mode only, as in the
 * reference (an EMA of representation gradients of different batches means nothing).
 */
export const dualBalancing: WeightingMethod<DualBalancingState, DualBalancingOptions> = {
  name: 'db-mtl',
  description: 'DB-MTL: log-loss gradients, EMA, rescaled to the largest norm (Lin et al., 2023).',
  needs: 'gradients',
  balancesScales: true,
  gradientModes: ['parameters'],
  resolveOptions(options) {
    checkOptionKeys('db-mtl', options, ['momentum', 'momentumDecay']);
    return {
      momentum: numberOption('db-mtl', options, 'momentum', 0.9, { min: 0, max: 1 }),
      momentumDecay: numberOption('db-mtl', options, 'momentumDecay', 0, { min: 0 }),
    };
  },
  init: () => ({ step: 0, buffer: null }),
  update(input, state, options) {
    const rows = requireGradients('db-mtl', input);
    requireNonNegativeLosses('db-mtl', input, 'DB-MTL balances the gradients of log(L_t + 1e-8)');
    const t = rows.length;
    const d = rows[0]!.length;
    const step = state.step + 1;
    const beta = options.momentum / Math.pow(step, options.momentumDecay);
    // One indexed pass per task: the new EMA row and its squared norm.
    const buffer: Float64Array[] = [];
    const norms: number[] = [];
    for (let i = 0; i < t; i++) {
      const row = rows[i]!;
      const scale = 1 / (input.losses[i]! + 1e-8);
      const old = state.buffer?.[i] || new Float64Array(d);
      const next = new Float64Array(d);
      let squares = 0;
      for (let k = 0; k < d; k++) {
        const gk = row[k]! * scale;
        const b = gk + beta * (old[k]! - gk);
        next[k] = b;
        squares += b * b;
      }
      buffer.push(next);
      norms.push(Math.sqrt(squares));
    }
    const largest = Math.max(...norms);
    const alpha = norms.map((n) => largest / (n + 1e-8));
    const direction = new Float32Array(d);
    for (let i = 0; i < t; i++) {
      const a = alpha[i]!;
      const b = buffer[i]!;
      for (let k = 0; k < d; k++) direction[k]! += a * b[k]!;
    }
    // Each head follows its own log-loss gradient as well (the reference backpropagates log(L_t + 1e-8)).
    const taskGradientScales = input.losses.map((l) => 1 / (l + 1e-8));
    return { weights: alpha, direction, taskGradientScales, state: { step, buffer } };
  },
};
