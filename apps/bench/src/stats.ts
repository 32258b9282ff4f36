/** Nearest-rank percentile (`p` in 0..100) of unsorted samples. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Median of unsorted samples. */
export function median(samples: ArrayLike<number>): number {
  return percentile(samples, 50);
}

/**
 * Ratios of paired samples (`subject[i] / baseline[i]`, taken in the same round), as the
 * interquartile range: how stable the ratio was from round to round.
 */
export function pairedRatioSpread(
  subject: ArrayLike<number>,
  baseline: ArrayLike<number>,
): { readonly p25: number; readonly p75: number } {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(subject.length, baseline.length); i++) {
    ratios.push((subject[i] as number) / (baseline[i] as number));
  }
  return { p25: percentile(ratios, 25), p75: percentile(ratios, 75) };
}
