import type { CacheStack } from '@strata/core';
import type { Registry } from 'prom-client';
import { MetricSet, type PromClient } from './metric-set.js';
import { takeSnapshot, type StrataMetricsSnapshot } from './metrics-snapshot.js';
import { RequestCounts } from './request-counts.js';
import { DEFAULT_LOAD_BUCKETS, type StrataMetricsOptions } from './strata-metrics.options.js';
import { registerWriteBehindMetrics, type WriteBehindCaches } from './write-behind.metrics.js';
import { engineOf } from '@strata/core/internal';

export type { PromClient } from './metric-set.js';
export type { WriteBehindCaches } from './write-behind.metrics.js';

const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

/**
 * Prometheus metrics of a `CacheStack` and its write-behind caches, registered on one registry
 * (docs/observability.md lists every metric with its labels). Counters follow the stack's
 * events; gauges read live state when scraped (`collect`), so nothing is kept in step by hand.
 * Build it with `StrataMetricsModule` in a Nest app; {@link StrataMetrics.stop} unsubscribes and
 * unregisters everything.
 *
 * @example
 * ```ts
 * const metrics = new StrataMetrics(await import('prom-client'), stack, undefined, { registry });
 * metrics.start();
 * ```
 */
export class StrataMetrics {
  private readonly set: MetricSet;
  private readonly requests = new RequestCounts();

  constructor(
    prom: PromClient,
    private readonly stack: CacheStack,
    private readonly writeBehind: WriteBehindCaches | undefined,
    private readonly options: StrataMetricsOptions = {},
  ) {
    this.set = new MetricSet(prom, options.registry ?? prom.register, options.prefix ?? 'strata_');
  }

  /** The registry the metrics are on. */
  get registry(): Registry {
    return this.set.registry;
  }

  /**
   * The prefix of every metric name (`strata_` unless configured), so that metrics another
   * package adds to {@link StrataMetrics.registry} (`@strata/cdc`'s) are named alike.
   */
  get prefix(): string {
    return this.set.prefix;
  }

  /** Registers the metrics and subscribes to the stack's events. */
  start(): void {
    this.entryMetrics();
    this.stackGauges();
    registerWriteBehindMetrics(this.set, this.stack.events, this.writeBehind, this.options.flushBuckets);
    this.httpMetrics();
  }

  /**
   * What a live dashboard draws, as JSON-ready data: lookups by cache, layer and result, load
   * histograms, write-behind depth and lag, L1 size (cumulative; see {@link StrataMetricsSnapshot}).
   *
   * @example @Get('cache-stats') stats() { return this.metrics.snapshot(); }
   */
  snapshot(): Promise<StrataMetricsSnapshot> {
    return takeSnapshot(this.set.registry, this.set.prefix);
  }

  /** Unsubscribes and removes the metrics from the registry. */
  stop(): void {
    this.set.clear();
  }

  /** Nest lifecycle hook: see {@link StrataMetrics.stop}. */
  onModuleDestroy(): void {
    this.stop();
  }

  private entryMetrics(): void {
    const { set } = this;
    const { events } = this.stack;
    const counts = this.requests;
    set.counter(
      'requests_total',
      'Cache lookups by cache, the layer that answered (none: a miss) and result (hit, stale, miss).',
      ['cache', 'layer', 'result'],
      (counter) => counts.flush((labels, value) => counter.inc(labels, value)),
    );
    set.subscribe(events.on('hit', (e) => counts.served(e.cache, e.layer, false)));
    set.subscribe(events.on('stale', (e) => counts.served(e.cache, e.layer, true)));
    set.subscribe(events.on('miss', (e) => counts.missed(e.cache)));

    const loads = set.histogram(
      'load_duration_seconds',
      'Loader run time, by cache and outcome (success, error).',
      ['cache', 'outcome'],
      this.options.loadBuckets ?? DEFAULT_LOAD_BUCKETS,
    );
    set.subscribe(
      events.on('load', (e) => loads.observe({ cache: e.cache, outcome: e.outcome }, e.durationMs / 1000)),
    );

    const sets = set.counter('sets_total', 'Values stored by set (not by loads), by cache.', ['cache']);
    set.subscribe(events.on('set', (e) => sets.inc({ cache: e.cache })));
    const deletes = set.counter('deletes_total', 'Keys deleted, by cache.', ['cache']);
    set.subscribe(events.on('delete', (e) => deletes.inc({ cache: e.cache }, e.keys.length)));
    const invalidations = set.counter(
      'invalidations_total',
      'Invalidations, by kind (tag: one per tag; namespace).',
      ['kind'],
    );
    set.subscribe(events.on('invalidate:tags', (e) => invalidations.inc({ kind: 'tag' }, e.tags.length)));
    set.subscribe(events.on('invalidate:namespace', () => invalidations.inc({ kind: 'namespace' })));

    const l2Errors = set.counter(
      'l2_errors_total',
      'Redis operations that failed (the call fell back), by operation.',
      ['operation'],
    );
    set.subscribe(events.on('l2:error', (e) => l2Errors.inc({ operation: e.operation })));
    const unreadable = set.counter(
      'unreadable_entries_total',
      'Entries in Redis read as misses because they could not be read (tampered, unknown-key, unencrypted, corrupt, unknown-kind), by cache.',
      ['cache', 'reason'],
    );
    set.subscribe(events.on('entry:unreadable', (e) => unreadable.inc({ cache: e.cache, reason: e.reason })));
    let exported = 0;
    set.counter(
      'listener_errors_total',
      'Errors thrown by event listeners (kept out of cache calls).',
      [],
      (c) => {
        const now = events.listenerErrors;
        if (now > exported) c.inc(now - exported);
        exported = now;
      },
    );
  }

  private stackGauges(): void {
    const { set, stack } = this;
    const { l1, bus } = engineOf(stack);
    if (l1 !== undefined) {
      set.gauge('l1_entries', 'Entries in the in-process layer.', [], (g) => g.set(l1.size));
      set.gauge('l1_bytes', 'Estimated bytes held by the in-process layer.', [], (g) => g.set(l1.bytes));
    }
    if (engineOf(stack).l2 === undefined) return;
    set.gauge('l2_available', '1 while Redis is connected and its circuit breaker closed.', [], (g) =>
      g.set(stack.l2Available ? 1 : 0),
    );
    set.gauge(
      'breaker_state',
      'Circuit breaker of the Redis layer: 1 for its current state.',
      ['state'],
      (g) => {
        for (const state of BREAKER_STATES) g.set({ state }, stack.breakerState === state ? 1 : 0);
      },
    );
    if (bus !== undefined) {
      set.gauge('bus_connected', '1 while the invalidation bus subscription is up.', [], (g) =>
        g.set(bus.connected ? 1 : 0),
      );
    }
  }

  private httpMetrics(): void {
    const { set } = this;
    const responses = set.counter(
      'http_requests_total',
      'Requests HttpCacheInterceptor answered, by route pattern, method and result (hit, stale, miss).',
      ['route', 'method', 'result'],
    );
    const notModified = set.counter(
      'http_not_modified_total',
      'Of those, answered 304 Not Modified, by route pattern.',
      ['route'],
    );
    set.subscribe(
      this.stack.events.on('http:response', (e) => {
        responses.inc({ route: e.route, method: e.method, result: e.result });
        if (e.notModified) notModified.inc({ route: e.route });
      }),
    );
  }
}
