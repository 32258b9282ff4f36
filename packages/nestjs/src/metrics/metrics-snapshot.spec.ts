import { describe, expect, it } from 'vitest';
import { quantileFromBuckets, subtractHistograms, type HistogramSnapshot } from './metrics-snapshot.js';

const histogram = (count: number, buckets: [number, number][]): HistogramSnapshot => ({
  count,
  sumSeconds: 0,
  buckets: buckets.map(([le, c]) => ({ le, count: c })),
});

describe('quantileFromBuckets', () => {
  const h = histogram(100, [
    [0.1, 0],
    [0.2, 50],
    [0.5, 100],
  ]);

  it('interpolates inside the bucket the rank falls in, as histogram_quantile does', () => {
    expect(quantileFromBuckets(h, 0.25)).toBeCloseTo(0.15);
    expect(quantileFromBuckets(h, 0.5)).toBeCloseTo(0.2);
    expect(quantileFromBuckets(h, 0.75)).toBeCloseTo(0.35);
    expect(quantileFromBuckets(h, 1)).toBeCloseTo(0.5);
  });

  it('answers the last finite bound past it, and nothing without observations', () => {
    expect(quantileFromBuckets(histogram(10, [[0.1, 5]]), 0.99)).toBe(0.1);
    expect(quantileFromBuckets(histogram(0, [[0.1, 0]]), 0.5)).toBeUndefined();
  });

  it('takes the quantile of the observations between two snapshots', () => {
    const later = histogram(200, [
      [0.1, 100],
      [0.2, 150],
      [0.5, 200],
    ]);
    const window = subtractHistograms(later, h);
    expect(window.count).toBe(100);
    expect(window.buckets.map((b) => b.count)).toEqual([100, 100, 100]);
    expect(quantileFromBuckets(window, 0.9)).toBeCloseTo(0.09);
  });
});
