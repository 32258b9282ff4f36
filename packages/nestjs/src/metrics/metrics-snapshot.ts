import type { Registry } from 'prom-client';

/** Lookups of one cache by layer and result (cumulative since start). */
export interface LookupCount {
  readonly cache: string;
  readonly layer: string;
  readonly result: string;
  readonly count: number;
}

/** One cumulative histogram: `buckets[i].count` observations were ≤ `buckets[i].le` seconds. */
export interface HistogramSnapshot {
  readonly count: number;
  readonly sumSeconds: number;
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

/** The load-time histogram of one cache and outcome. */
export interface LoadSnapshot extends HistogramSnapshot {
  readonly cache: string;
  readonly outcome: string;
}

/** Queue depth and lag of one write-behind cache, read at the snapshot. */
export interface WriteBehindSnapshot {
  readonly cache: string;
  readonly depth: number | undefined;
  readonly oldestPendingAgeSeconds: number | undefined;
}

/**
 * The metrics a live dashboard draws, as JSON-ready data (the same values `/metrics` serves).
 * Counts and histograms are cumulative: a dashboard polling it diffs two snapshots for rates and
 * windowed percentiles ({@link subtractHistograms}, {@link quantileFromBuckets}).
 */
export interface StrataMetricsSnapshot {
  /** When it was taken (epoch ms). */
  readonly at: number;
  readonly lookups: readonly LookupCount[];
  readonly loads: readonly LoadSnapshot[];
  readonly writeBehind: readonly WriteBehindSnapshot[];
  readonly l1: { readonly entries: number; readonly bytes: number } | undefined;
}

interface Sample {
  readonly value: number;
  readonly labels: Partial<Record<string, string | number>>;
  readonly metricName?: string;
}

/** Reads a {@link StrataMetricsSnapshot} from the registry the metrics are on. */
export async function takeSnapshot(registry: Registry, prefix: string): Promise<StrataMetricsSnapshot> {
  const read = async (name: string): Promise<readonly Sample[]> =>
    (await registry.getSingleMetric(prefix + name)?.get())?.values ?? [];
  const label = (sample: Sample, name: string): string => String(sample.labels[name] ?? '');
  const lookups = (await read('requests_total')).map((s) => ({
    cache: label(s, 'cache'),
    layer: label(s, 'layer'),
    result: label(s, 'result'),
    count: s.value,
  }));
  const loadSamples = await read('load_duration_seconds');
  const loads = new Map<
    string,
    {
      cache: string;
      outcome: string;
      count: number;
      sumSeconds: number;
      buckets: { le: number; count: number }[];
    }
  >();
  for (const s of loadSamples) {
    const cache = label(s, 'cache');
    const outcome = label(s, 'outcome');
    const id = `${cache}\n${outcome}`;
    let load = loads.get(id);
    if (load === undefined) {
      load = { cache, outcome, count: 0, sumSeconds: 0, buckets: [] };
      loads.set(id, load);
    }
    const name = s.metricName ?? '';
    if (name.endsWith('_count')) load.count = s.value;
    else if (name.endsWith('_sum')) load.sumSeconds = s.value;
    else if (name.endsWith('_bucket') && s.labels['le'] !== '+Inf')
      load.buckets.push({ le: Number(s.labels['le']), count: s.value });
  }
  const byCache = new Map<string, { depth?: number; age?: number }>();
  for (const s of await read('write_behind_queue_depth')) byCache.set(label(s, 'cache'), { depth: s.value });
  for (const s of await read('write_behind_oldest_pending_age_seconds')) {
    const cache = label(s, 'cache');
    byCache.set(cache, { ...byCache.get(cache), age: s.value });
  }
  const writeBehind = [...byCache].map(([cache, { depth, age }]) => ({
    cache,
    depth,
    oldestPendingAgeSeconds: age,
  }));
  const entries = (await read('l1_entries'))[0]?.value;
  const bytes = (await read('l1_bytes'))[0]?.value;
  return {
    at: Date.now(),
    lookups,
    loads: [...loads.values()],
    writeBehind,
    l1: entries === undefined ? undefined : { entries, bytes: bytes ?? 0 },
  };
}

/** `later - earlier`, bucket by bucket: the observations between two snapshots. */
export function subtractHistograms(
  later: HistogramSnapshot,
  earlier: HistogramSnapshot | undefined,
): HistogramSnapshot {
  if (earlier === undefined) return later;
  const before = new Map(earlier.buckets.map((b) => [b.le, b.count]));
  return {
    count: later.count - earlier.count,
    sumSeconds: later.sumSeconds - earlier.sumSeconds,
    buckets: later.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) })),
  };
}

/**
 * The `q` quantile (0–1) of a histogram, interpolated linearly inside the bucket it falls in, as
 * Prometheus's `histogram_quantile` does; `undefined` without observations. Past the last finite
 * bucket it answers that bucket's bound.
 *
 * @example quantileFromBuckets(subtractHistograms(now, before), 0.95)
 */
export function quantileFromBuckets(histogram: HistogramSnapshot, q: number): number | undefined {
  if (histogram.count <= 0) return undefined;
  const rank = q * histogram.count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count } of histogram.buckets) {
    if (count >= rank) {
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}
