/** A figure over seeds: its values, their mean and sample standard deviation (n − 1; 0 for one value). */
export interface MeanStd {
  mean: number;
  std: number;
  values: number[];
}

/** Mean and sample standard deviation (n − 1; 0 for a single value) of results over seeds. */
export function meanStd(xs: readonly number[]): MeanStd {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(xs.length - 1, 1));
  return { mean, std, values: [...xs] };
}

/**
 * `mean ± std` of `xs` scaled by `scale` (just the mean for one value), with `digits`
 * decimals; `sign` writes a + before non-negative means.
 */
export function formatMeanStd(xs: readonly number[], { scale = 1, digits = 2, sign = false } = {}): string {
  const { mean, std } = meanStd(xs.map((x) => x * scale));
  const m = `${sign && mean >= 0 ? '+' : ''}${mean.toFixed(digits)}`;
  return xs.length > 1 ? `${m} ± ${std.toFixed(digits)}` : m;
}
