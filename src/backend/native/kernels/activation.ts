/** Activation codes shared with native/kernels.h (`Activation`); tfjs names as keys. */
export const ACTIVATIONS: Readonly<Record<string, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  leakyrelu: 3,
  sigmoid: 4,
};

/** The native code for a tfjs fused activation name, or null when the addon lacks it (elu, prelu). */
export function activationCode(name: unknown): number | null {
  if (name === undefined || name === null) return 0;
  const code = typeof name === 'string' ? ACTIVATIONS[name] : undefined;
  return code ?? null;
}

/**
 * How a bias of `biasShape` broadcasts onto an output whose last dim is `columns`:
 * 1 per column (`[..., columns]` with leading 1s), 2 scalar, null otherwise.
 */
export function biasMode(biasShape: readonly number[], columns: number, outRank: number): 1 | 2 | null {
  if (biasShape.length > outRank) return null;
  const size = biasShape.reduce((a, b) => a * b, 1);
  const leadingOnes = biasShape.slice(0, -1).every((d) => d === 1);
  if (!leadingOnes) return null;
  if (size === 1) return columns === 1 ? 1 : 2;
  return biasShape[biasShape.length - 1] === columns ? 1 : null;
}

/**
 * The activation of a fused kernel as the addon's code and leaky-ReLU slope, or null when
 * the addon cannot run it (an unknown activation, or PReLU with its weights) and the
 * original kernel must.
 */
export function fusedActivation(attrs: Record<string, unknown>, preluWeights: unknown): { act: number; alpha: number } | null {
  const act = activationCode(attrs['activation']);
  if (act === null || preluWeights !== undefined) return null;
  return { act, alpha: typeof attrs['leakyreluAlpha'] === 'number' ? attrs['leakyreluAlpha'] : 0.2 };
}
