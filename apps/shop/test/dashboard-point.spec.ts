/** The dashboard's arithmetic: hit rates, windowed percentiles and chart columns from snapshots. */
import type { StrataMetricsSnapshot } from '@strata/nestjs';
import { describe, expect, it } from 'vitest';
import { dashboardPoint } from '../src/observability/dashboard-point.js';
import { DashboardSeries } from '../src/observability/dashboard-series.js';

type LookupCount = StrataMetricsSnapshot['lookups'][number];
type LoadSnapshot = StrataMetricsSnapshot['loads'][number];

const BOUNDS = [0.001, 0.01, 0.1];

function snapshot(
  at: number,
  lookups: LookupCount[],
  loads: LoadSnapshot[] = [],
  writeBehind: StrataMetricsSnapshot['writeBehind'] = [],
): StrataMetricsSnapshot {
  return { at, lookups, loads, writeBehind, l1: undefined };
}

const lookup = (cache: string, layer: string, result: string, count: number): LookupCount => ({
  cache,
  layer,
  result,
  count,
});

/** A load histogram over {@link BOUNDS} with these cumulative bucket counts. */
const loads = (cache: string, counts: number[]): LoadSnapshot => ({
  cache,
  outcome: 'success',
  count: counts.at(-1) ?? 0,
  sumSeconds: 0,
  buckets: BOUNDS.map((le, i) => ({ le, count: counts[i] ?? 0 })),
});

describe('dashboardPoint', () => {
  it("gives each layer's share of a cache's lookups in the window, leaving out ignored caches", () => {
    const earlier = snapshot(1_000, [
      lookup('default', 'l1', 'hit', 10),
      lookup('default', 'none', 'miss', 5),
      lookup('views', 'none', 'miss', 40),
    ]);
    const later = snapshot(6_000, [
      lookup('default', 'l1', 'hit', 16),
      lookup('default', 'l2', 'hit', 2),
      lookup('default', 'none', 'miss', 7),
      lookup('default', 'l1', 'stale', 0),
      lookup('prices', 'none', 'miss', 3),
      lookup('views', 'none', 'miss', 90),
    ]);
    const point = dashboardPoint(earlier, later, new Set(['views']));
    expect(point.at).toBe(6_000);
    // default: 6 L1 hits, 2 L2 hits, 2 misses in the window.
    expect(Object.fromEntries(point.hitRate)).toEqual({
      'default · L1': 60,
      'default · L2': 20,
      'prices · L1': 0, // only misses: shown at 0 %, not left out
    });
  });

  it('keeps a layer that answered before at 0 % and leaves out caches without lookups in the window', () => {
    const earlier = snapshot(0, [lookup('default', 'l2', 'hit', 4), lookup('stock', 'l1', 'hit', 9)]);
    const later = snapshot(5_000, [
      lookup('default', 'l2', 'hit', 4),
      lookup('default', 'l1', 'hit', 3),
      lookup('stock', 'l1', 'hit', 9),
    ]);
    expect(Object.fromEntries(dashboardPoint(earlier, later).hitRate)).toEqual({
      'default · L1': 100,
      'default · L2': 0,
    });
  });

  it('computes p50/p95/p99 over the window from every cache’s load histogram together', () => {
    // Before the window: 100 slow loads, which must not count.
    const earlier = snapshot(0, [], [loads('default', [0, 0, 100])]);
    // In the window: 10 loads <= 1 ms (prices) and 10 in (10 ms, 100 ms] (default).
    const later = snapshot(5_000, [], [loads('default', [0, 0, 110]), loads('prices', [10, 10, 10])]);
    const { loadMs } = dashboardPoint(earlier, later);
    // histogram_quantile's interpolation: p50 = rank 10, the top of the first bucket; p95 = rank 19,
    // 9/10 of the way through (10 ms, 100 ms]; p99 = rank 19.8.
    expect(loadMs?.p50).toBeCloseTo(1, 9);
    expect(loadMs?.p95).toBeCloseTo(91, 9);
    expect(loadMs?.p99).toBeCloseTo(98.2, 9);
  });

  it('has no latency without loads in the window, and no write-behind value the journal could not give', () => {
    const earlier = snapshot(0, [], [loads('default', [1, 1, 1])]);
    const later = snapshot(
      1_000,
      [],
      [loads('default', [1, 1, 1])],
      [
        { cache: 'carts', depth: 3, oldestPendingAgeSeconds: 2.5 },
        { cache: 'views', depth: undefined, oldestPendingAgeSeconds: undefined },
      ],
    );
    const point = dashboardPoint(earlier, later);
    expect(point.loadMs).toBeUndefined();
    expect(Object.fromEntries(point.writeBehindDepth)).toEqual({ carts: 3 });
    expect(Object.fromEntries(point.writeBehindLagSeconds)).toEqual({ carts: 2.5 });
  });
});

describe('DashboardSeries', () => {
  const point = (at: number, hitRate: Record<string, number>, depth: Record<string, number> = {}) => ({
    at,
    hitRate: new Map(Object.entries(hitRate)),
    loadMs: undefined,
    writeBehindDepth: new Map(Object.entries(depth)),
    writeBehindLagSeconds: new Map<string, number>(),
  });

  it('keeps every column as long as the times, with gaps where a line had no value', () => {
    const series = new DashboardSeries(10);
    series.push(point(1_000, { 'http · L1': 50 }));
    series.push(point(2_000, { 'default · L1': 80 }, { carts: 1 }));
    series.push(point(3_000, { 'http · L1': 75, 'default · L1': 90 }));
    const data = series.toJSON(1_000, 5_000);
    expect(data.time).toEqual([1, 2, 3]);
    expect(data.hitRate).toEqual([
      { label: 'default · L1', values: [null, 80, 90] },
      { label: 'http · L1', values: [50, null, 75] },
    ]);
    expect(data.writeBehindDepth).toEqual([{ label: 'carts', values: [null, 1, null] }]);
    expect(data.loadLatencyMs).toEqual([]);
  });

  it('drops the oldest point past its capacity', () => {
    const series = new DashboardSeries(2);
    for (let i = 1; i <= 3; i++) series.push(point(i * 1_000, { 'http · L1': i }));
    const data = series.toJSON(1_000, 5_000);
    expect(data.time).toEqual([2, 3]);
    expect(data.hitRate).toEqual([{ label: 'http · L1', values: [2, 3] }]);
  });
});
