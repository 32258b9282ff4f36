import type { Prng } from '../../src/db/prng.js';

/**
 * Samples ranks 1..n with probability proportional to 1 / rank^s (Zipf). With s = 1 over 10,000
 * products, the top 1 % of products get about half of the reads: the shape of real catalog
 * traffic the shop's hit-rate figures are about.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
    private readonly rng: Prng,
  ) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let rank = 1; rank <= n; rank++) {
      sum += 1 / rank ** s;
      this.cdf[rank - 1] = sum;
    }
    for (let i = 0; i < n; i++) this.cdf[i] = (this.cdf[i] ?? 0) / sum;
  }

  /** A rank in [1, n]; 1 is the most frequent. */
  next(): number {
    const u = this.rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] ?? 1) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }
}
