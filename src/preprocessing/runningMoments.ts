/**
 * The count, mean and variance of a stream of numbers in one pass (Welford's update;
 * Chan et al.'s formula to merge two), numerically stable for large counts and large
 * means alike.
 */
export class RunningMoments {
  count = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;

  /** Add one value. */
  add(x: number): void {
    this.count += 1;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
  }

  /** Add every value of another accumulator (as if its values had been added here). */
  merge(other: RunningMoments): void {
    if (other.count === 0) return;
    if (this.count === 0) {
      this.count = other.count;
      this.mean = other.mean;
      this.m2 = other.m2;
      return;
    }
    const n = this.count + other.count;
    const d = other.mean - this.mean;
    this.mean += (d * other.count) / n;
    this.m2 += other.m2 + (d * d * this.count * other.count) / n;
    this.count = n;
  }

  /** Population variance (divided by the count); NaN when empty. */
  get variance(): number {
    return this.count === 0 ? NaN : this.m2 / this.count;
  }

  /** Population standard deviation; NaN when empty. */
  get std(): number {
    return Math.sqrt(this.variance);
  }
}
