/** The softmax e^{z_i} / Σ_j e^{z_j}, computed stably (shifted by max z). */
export function softmax(z: readonly number[]): number[] {
  if (z.length === 0) return [];
  let m = -Infinity;
  for (const x of z) m = Math.max(m, x);
  const e = z.map((x) => Math.exp(x - m));
  let s = 0;
  for (const x of e) s += x;
  return e.map((x) => x / s);
}

/**
 * The vector-Jacobian product of the softmax: J_softmax(z)ᵀ v = p ⊙ (v − (p·v)) with p =
 * softmax(z) (the Jacobian is symmetric).
 */
export function softmaxVjp(z: readonly number[], v: readonly number[]): number[] {
  const p = softmax(z);
  let pv = 0;
  for (let i = 0; i < p.length; i++) pv += p[i]! * v[i]!;
  return p.map((pi, i) => pi * (v[i]! - pv));
}
