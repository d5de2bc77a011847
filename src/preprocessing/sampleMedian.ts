import { Random } from '../random/random.js';

/**
 * The median of a stream of numbers in bounded memory: the exact median while at most
 * `capacity` values have been added, then the median of a uniform random sample of
 * `capacity` of them (reservoir sampling, Vitter's algorithm R, with a seeded
 * generator so that the result is reproducible).
 */
export class SampleMedian {
  private values: Float64Array;
  private seen = 0;
  private readonly random: Random;

  /**
   * @param capacity values kept. @defaultValue 1,000,000 (8 MB)
   * @param seed seed of the sampling generator. @defaultValue 'median'
   */
  constructor(
    readonly capacity = 1_000_000,
    seed: string | number = 'median',
  ) {
    this.values = new Float64Array(Math.min(capacity, 1024));
    this.random = new Random(seed);
  }

  /** Add one value. */
  add(x: number): void {
    const k = this.seen++;
    if (k < this.capacity) {
      if (k === this.values.length) {
        const grown = new Float64Array(Math.min(this.capacity, this.values.length * 2));
        grown.set(this.values);
        this.values = grown;
      }
      this.values[k] = x;
      return;
    }
    const j = Math.floor(this.random.next() * (k + 1));
    if (j < this.capacity) this.values[j] = x;
  }

  /** How many values were added. */
  get count(): number {
    return this.seen;
  }

  /** Whether the median is exact (no more than `capacity` values were added). */
  get exact(): boolean {
    return this.seen <= this.capacity;
  }

  /** The median (the mean of the two middle values for an even count); NaN when empty. */
  median(): number {
    const n = Math.min(this.seen, this.capacity);
    if (n === 0) return NaN;
    const sorted = this.values.slice(0, n).sort();
    return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  }
}
