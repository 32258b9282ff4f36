import type { WriteBehindStrategyCache } from '@strata/core';
import type { StrataEvents } from '@strata/core/internal';
import type { MetricSet } from './metric-set.js';
import { BATCH_SIZE_BUCKETS, DEFAULT_FLUSH_BUCKETS } from './strata-metrics.options.js';

/** Where the live write-behind caches are read from (`WriteBehindStrategy`). */
export interface WriteBehindCaches {
  readonly caches: ReadonlyMap<string, WriteBehindStrategyCache<unknown>>;
}

/**
 * The write-behind metrics: queue depth and lag read from the caches when scraped (a cache whose
 * journal cannot be read then, Redis being down, has no sample rather than a stale one), and
 * counters of what the journals and flushers report.
 */
export function registerWriteBehindMetrics(
  set: MetricSet,
  events: StrataEvents,
  writeBehind: WriteBehindCaches | undefined,
  flushBuckets: readonly number[] = DEFAULT_FLUSH_BUCKETS,
): void {
  const caches = (): Iterable<WriteBehindStrategyCache<unknown>> => writeBehind?.caches.values() ?? [];
  set.gauge(
    'write_behind_queue_depth',
    'Keys with unflushed writes, by write-behind cache (Redis journal: all instances).',
    ['cache'],
    async (g) => {
      g.reset();
      for (const cache of caches()) {
        const depth = await cache.pending().catch(() => undefined);
        if (depth !== undefined) g.set({ cache: cache.name }, depth);
      }
    },
  );
  set.gauge(
    'write_behind_oldest_pending_age_seconds',
    'Age of the oldest unflushed write, by write-behind cache (0 when none).',
    ['cache'],
    async (g) => {
      g.reset();
      for (const cache of caches()) {
        const age = await cache.oldestPendingAge().catch(() => null);
        if (age !== null) g.set({ cache: cache.name }, (age ?? 0) / 1000);
      }
    },
  );
  set.gauge(
    'write_behind_unresolved_dead_letters',
    'Dead letters neither re-driven nor purged, by write-behind cache (Redis journal: all instances).',
    ['cache'],
    async (g) => {
      g.reset();
      for (const cache of caches()) {
        const count = await cache.deadLetterCount().catch(() => undefined);
        if (count !== undefined) g.set({ cache: cache.name }, count);
      }
    },
  );
  const enqueued = set.counter(
    'write_behind_enqueued_total',
    'Writes journaled, by write-behind cache and kind (set, delete, increment).',
    ['cache', 'kind'],
  );
  set.subscribe(events.on('write-behind:enqueued', (e) => enqueued.inc({ cache: e.cache, kind: e.kind })));
  const flushed = set.counter(
    'write_behind_flushed_total',
    'Records handed to the writer successfully, by write-behind cache.',
    ['cache'],
  );
  const flushTime = set.histogram(
    'write_behind_flush_duration_seconds',
    'Writer call time per successful batch, by write-behind cache.',
    ['cache'],
    flushBuckets,
  );
  const batchSize = set.histogram(
    'write_behind_flush_batch_size',
    'Records per successful batch, by write-behind cache.',
    ['cache'],
    BATCH_SIZE_BUCKETS,
  );
  set.subscribe(
    events.on('write-behind:flushed', (e) => {
      flushed.inc({ cache: e.cache }, e.size);
      flushTime.observe({ cache: e.cache }, e.durationMs / 1000);
      batchSize.observe({ cache: e.cache }, e.size);
    }),
  );
  const retries = set.counter(
    'write_behind_retries_total',
    'Failed record deliveries that will be retried, by write-behind cache.',
    ['cache'],
  );
  set.subscribe(events.on('write-behind:retry', (e) => retries.inc({ cache: e.cache })));
  const dead = set.counter(
    'write_behind_dead_letters_total',
    'Records set aside (after maxAttempts, or unreadable), by write-behind cache and instance.',
    ['cache'],
  );
  set.subscribe(events.on('write-behind:dead-letter', (e) => dead.inc({ cache: e.cache })));
  const abandoned = set.counter(
    'write_behind_abandoned_total',
    'Records still pending when shutdown stopped waiting, by write-behind cache.',
    ['cache'],
  );
  set.subscribe(events.on('write-behind:abandoned', (e) => abandoned.inc({ cache: e.cache }, e.count)));
}
