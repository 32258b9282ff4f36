import { quantileFromBuckets, subtractHistograms, type StrataMetricsSnapshot } from '@strata/nestjs';

/** A latency histogram of a snapshot (a load's, or several merged). */
type HistogramSnapshot = Parameters<typeof quantileFromBuckets>[0];

/** The layers a lookup can be answered from (`strata_requests_total{result="hit"}`). */
const HIT_LAYERS = ['l1', 'l2'] as const;

/** One point of the dashboard's charts: what happened between two metrics snapshots. */
export interface DashboardPoint {
  /** End of the window (epoch ms). */
  readonly at: number;
  /**
   * Per cache and layer (`"<cache> · L1"`): percent of that cache's lookups in the window that
   * were hits in that layer. A cache with no lookups in the window has no entry (a gap).
   */
  readonly hitRate: ReadonlyMap<string, number>;
  /** Load latency percentiles over the window, all caches together, in ms; absent without loads. */
  readonly loadMs: { readonly p50: number; readonly p95: number; readonly p99: number } | undefined;
  /** Keys with unflushed writes, per write-behind cache, at the end of the window. */
  readonly writeBehindDepth: ReadonlyMap<string, number>;
  /** Age of the oldest unflushed write in seconds, per write-behind cache (0 when none). */
  readonly writeBehindLagSeconds: ReadonlyMap<string, number>;
}

/** The series id of a cache's hits in one layer, as the hit-rate chart labels it. */
export function hitRateSeries(cache: string, layer: string): string {
  return `${cache} · ${layer.toUpperCase()}`;
}

/**
 * What happened between `earlier` and `later`: hit rates from the lookup counters' difference,
 * load percentiles from the difference of the load histograms (Prometheus's `histogram_quantile`
 * interpolation), and the write-behind gauges as `later` read them. `ignoredCaches` are left out
 * of the hit rates (counters whose increments report misses).
 */
export function dashboardPoint(
  earlier: StrataMetricsSnapshot,
  later: StrataMetricsSnapshot,
  ignoredCaches: ReadonlySet<string> = new Set(),
): DashboardPoint {
  const before = new Map(earlier.lookups.map((l) => [`${l.cache}\n${l.layer}\n${l.result}`, l.count]));
  const lookups = new Map<string, number>();
  const hits = new Map<string, number>();
  // A layer gets a line per cache once it has ever answered a hit (no L2 line without Redis).
  const lines = new Set<string>();
  for (const l of later.lookups) {
    if (ignoredCaches.has(l.cache)) continue;
    const id = hitRateSeries(l.cache, l.layer);
    if (l.result === 'hit' && l.count > 0) lines.add(id);
    const delta = l.count - (before.get(`${l.cache}\n${l.layer}\n${l.result}`) ?? 0);
    if (delta <= 0) continue;
    lookups.set(l.cache, (lookups.get(l.cache) ?? 0) + delta);
    if (l.result === 'hit') hits.set(id, delta);
  }
  const hitRate = new Map<string, number>();
  for (const [cache, total] of lookups) {
    for (const layer of HIT_LAYERS) {
      const id = hitRateSeries(cache, layer);
      // L1 always: a cache that only missed in the window shows at 0 %.
      if (layer === 'l1' || lines.has(id)) hitRate.set(id, (100 * (hits.get(id) ?? 0)) / total);
    }
  }

  const loads = subtractHistograms(
    mergeHistograms(later.loads),
    earlier.loads.length > 0 ? mergeHistograms(earlier.loads) : undefined,
  );
  const ms = (q: number): number => (quantileFromBuckets(loads, q) ?? 0) * 1000;
  return {
    at: later.at,
    hitRate,
    loadMs: loads.count > 0 ? { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) } : undefined,
    writeBehindDepth: gauges(later, (w) => w.depth),
    writeBehindLagSeconds: gauges(later, (w) => w.oldestPendingAgeSeconds),
  };
}

/**
 * The sum of histograms with the same buckets (every cache's `strata_load_duration_seconds`):
 * one latency distribution for the whole app.
 */
export function mergeHistograms(histograms: readonly HistogramSnapshot[]): HistogramSnapshot {
  const buckets = new Map<number, number>();
  let count = 0;
  let sumSeconds = 0;
  for (const h of histograms) {
    count += h.count;
    sumSeconds += h.sumSeconds;
    for (const b of h.buckets) buckets.set(b.le, (buckets.get(b.le) ?? 0) + b.count);
  }
  return {
    count,
    sumSeconds,
    buckets: [...buckets].sort(([a], [b]) => a - b).map(([le, n]) => ({ le, count: n })),
  };
}

function gauges(
  snapshot: StrataMetricsSnapshot,
  read: (w: StrataMetricsSnapshot['writeBehind'][number]) => number | undefined,
): Map<string, number> {
  const values = new Map<string, number>();
  for (const w of snapshot.writeBehind) {
    const value = read(w);
    // No sample (the journal could not be read, Redis down): a gap, not a made-up 0.
    if (value !== undefined) values.set(w.cache, value);
  }
  return values;
}
