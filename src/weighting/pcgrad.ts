import { Random, type RandomState } from '../random/random.js';
import { requireGramian } from './inputs.js';
import type { WeightingMethod } from './method.js';
import { noOptions } from './options.js';

/** State of {@link projectingConflictingGradients}: the generator that draws the projection orders. */
export interface PcgradState {
  random: RandomState;
}

/**
 * PCGrad, gradient surgery: for each task i, g_i' ← g_i and, for j in a random order,
 * if g_i'·g_j < 0, g_i' ← g_i' − (g_i'·g_j/‖g_j‖²) g_j (against the ORIGINAL g_j); the
 * update is Σ_i g_i'. Yu, Kumar, Gupta, Levine, Hausman & Finn, "Gradient Surgery for
 * Multi-Task Learning", NeurIPS 2020.
 *
 * On the Gramian: g_i' = Σ_k C_ik g_k; C starts as I, a projection subtracts
 * (C_i·M_:j / M_jj) from C_ij, and g_i'·g_j = (C M)_ij. The weights on the raw gradients
 * are the column sums of C. The order runs over all tasks, i included, as in the
 * reference code (one permutation per i, from the seeded state). Zero gradients are
 * never projected against.
 */
export const projectingConflictingGradients: WeightingMethod<PcgradState, Record<string, never>> = {
  name: 'pcgrad',
  description: 'PCGrad: project each gradient off the others it conflicts with, in random order (Yu et al., NeurIPS 2020).',
  needs: 'gramian',
  balancesScales: false,
  gradientModes: ['parameters', 'representation'],
  resolveOptions: (options) => noOptions('pcgrad', options),
  init: (context) => ({ random: new Random(context.seed).state() }),
  update(input, state) {
    const m = requireGramian('pcgrad', input);
    const t = m.length;
    const random = new Random(state.random);
    const c: number[][] = Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, k) => (i === k ? 1 : 0)));
    for (let i = 0; i < t; i++) {
      const row = c[i]!;
      for (const j of random.permutation(t)) {
        const mjj = m[j]![j]!;
        if (!(mjj > 0)) continue;
        let inner = 0;
        for (let k = 0; k < t; k++) inner += row[k]! * m[k]![j]!;
        if (inner < 0) row[j]! -= inner / mjj;
      }
    }
    const weights = Array.from({ length: t }, (_, k) => c.reduce((s, row) => s + row[k]!, 0));
    return { weights, state: { random: random.state() } };
  },
};
