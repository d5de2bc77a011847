/**
 * Euclidean projection onto the probability simplex {w : w ≥ 0, Σ w = radius}, by the
 * sort-based algorithm of Duchi, Shalev-Shwartz, Singer and Chandra, "Efficient
 * Projections onto the ℓ1-Ball for Learning in High Dimensions" (ICML 2008): sort v
 * decreasingly, find the largest ρ with u_ρ − (Σ_{i≤ρ} u_i − radius)/ρ > 0, and return
 * max(v − θ, 0) with θ = (Σ_{i≤ρ} u_i − radius)/ρ.
 *
 * @param radius - the simplex's sum. @defaultValue 1
 * @example
 * projectOntoSimplex([0.5, 0.5, 0.5]); // → [1/3, 1/3, 1/3]
 */
export function projectOntoSimplex(v: readonly number[], radius = 1): number[] {
  if (!(radius > 0)) throw new RangeError(`projectOntoSimplex: radius must be > 0, got ${radius}`);
  const n = v.length;
  if (n === 0) return [];
  const u = [...v].sort((a, b) => b - a);
  let cumulative = 0;
  let theta = 0;
  for (let i = 0; i < n; i++) {
    cumulative += u[i]!;
    const t = (cumulative - radius) / (i + 1);
    if (u[i]! - t > 0) theta = t;
  }
  return v.map((x) => Math.max(x - theta, 0));
}
