import { Random, type RandomState } from '../random/random.js';
import { checkTaskCount, requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { checkOptionKeys, numberOption } from './options.js';

/** Options of {@link gradientVaccine}. */
export interface GradVacOptions {
  /** Rate β of the EMA of the target cosines, φ̂ ← (1 − β)φ̂ + βφ. @defaultValue 0.5 */
  updateRate: number;
}

/** State of {@link gradientVaccine}: the T×T EMA target cosines φ̂_ij (init 0) and the order generator. */
export interface GradVacState {
  targets: number[][];
  random: RandomState;
}

/**
 * GradVac, gradient vaccine: for each task i and each other task j in random order,
 * with φ = cos(g_i', g_j) and target φ̂_ij, if φ < φ̂_ij then
 * g_i' += g_j·‖g_i'‖(φ̂√(1−φ²) − φ√(1−φ̂²)) / (‖g_j‖√(1−φ̂²)), which raises the cosine to φ̂;
 * then φ̂_ij ← (1 − β)φ̂_ij + βφ. The update is Σ_i g_i'. Wang, Tsvetkov, Firat & Cao,
 * "Gradient Vaccine: Investigating and Improving Multi-task Optimization in Massively
 * Multilingual Models", ICLR 2021.
 *
 * On the Gramian, as for PCGrad: g_i' = Σ_k C_ik g_k, g_i'·g_j = (CM)_ij,
 * ‖g_i'‖² = (CMCᵀ)_ii; the weights are the column sums of C. The EMA is updated for
 * every pair on every step (the paper's Algorithm 1; some LibMTL versions update it only
 * when the pair was adjusted). The 1e-8 in the denominators is the reference's.
 * Whole-model granularity only: the reference's per-layer groups need one Gramian per
 * layer from the trainer.
 */
export const gradientVaccine: WeightingMethod<GradVacState, GradVacOptions> = {
  name: 'gradvac',
  description: 'GradVac: raise pairwise gradient cosines to EMA targets (Wang et al., ICLR 2021).',
  needs: 'gramian',
  balancesScales: false,
  gradientModes: ['parameters', 'representation'],
  resolveOptions(options) {
    checkOptionKeys('gradvac', options, ['updateRate']);
    return { updateRate: numberOption('gradvac', options, 'updateRate', 0.5, { min: 0, max: 1 }) };
  },
  init: (context) => {
    const t = context.taskNames.length;
    return { targets: Array.from({ length: t }, () => new Array<number>(t).fill(0)), random: new Random(context.seed).state() };
  },
  update(input, state, options) {
    const m = requireGramian('gradvac', input);
    const t = m.length;
    checkTaskCount('gradvac', state.targets.length, t);
    const beta = options.updateRate;
    const random = new Random(state.random);
    const targets = state.targets.map((row) => [...row]);
    const c: number[][] = Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, k) => (i === k ? 1 : 0)));
    for (let i = 0; i < t; i++) {
      const row = c[i]!;
      const others: number[] = [];
      for (let j = 0; j < t; j++) if (j !== i) others.push(j);
      random.shuffle(others);
      for (const j of others) {
        const cm = (col: number): number => row.reduce((s, v, k) => s + v * m[k]![col]!, 0);
        const inner = cm(j);
        let squared = 0;
        for (let k = 0; k < t; k++) squared += row[k]! * cm(k);
        const normI = Math.sqrt(Math.max(squared, 0));
        const normJ = Math.sqrt(Math.max(m[j]![j]!, 0));
        const phi = Math.min(1, Math.max(-1, inner / (normI * normJ + 1e-8)));
        const target = targets[i]![j]!;
        if (phi < target && normJ > 0) {
          const w =
            (normI * (target * Math.sqrt(1 - phi * phi) - phi * Math.sqrt(1 - target * target))) /
            (normJ * Math.sqrt(1 - target * target) + 1e-8);
          row[j]! += w;
        }
        targets[i]![j] = (1 - beta) * target + beta * phi;
      }
    }
    const weights = Array.from({ length: t }, (_, k) => c.reduce((s, r) => s + r[k]!, 0));
    return { weights, state: { targets, random: random.state() } };
  },
};
