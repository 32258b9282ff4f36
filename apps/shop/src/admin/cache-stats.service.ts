import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { StrataEventMap } from '@strata/core';
import { CacheService } from '@strata/nestjs';
import { QueryCounter } from '../db/query-counter.js';

/** Counters of one cache (a named cache, or a family of `@Cacheable` keys such as `product`). */
export interface CacheCounters {
  hits: Record<StrataEventMap['hit']['layer'], number>;
  misses: number;
  loads: number;
  /** Writes handed to a write-behind cache (`set`, `delete`, `increment`): neither hits nor misses. */
  writes: number;
}

/** What `GET /admin/cache/stats` answers. */
export interface CacheStats {
  readonly since: Date;
  readonly caches: Record<string, CacheCounters & { hitRate: number | null }>;
  /** Every cache but the write-behind counters (see {@link COUNTER_CACHES}). */
  readonly total: CacheCounters & { hitRate: number | null };
  readonly database: {
    /** SQL statements sent since `since`. */
    readonly queries: number;
    /** Statements per load on average, times hits: what the hits would have cost (an estimate). */
    readonly queriesSavedEstimate: number;
  };
}

/**
 * Write-behind counters: each `increment` of a count that is not cached reports a miss from the
 * stack (the `views` cache has no loader, on purpose: a view costs no database read). Those misses
 * are writes, so these caches count them under `writes` only, and stay out of the total hit rate.
 */
export const COUNTER_CACHES: ReadonlySet<string> = new Set(['views']);

/**
 * Hit rates per cache and layer, from the stack's typed events (`hit`, `miss`, `load`). A key
 * `<prefix>:<namespace>:<key>` is counted under its namespace (`prices`, `http`, …), or for the
 * default namespace under the key's first segment (`product`, `rating`, …). Metrics for
 * Prometheus are in `src/observability`; this is the demo's own view.
 */
@Injectable()
export class CacheStatsService implements OnModuleInit, OnModuleDestroy {
  private counters = new Map<string, CacheCounters>();
  private since = new Date();
  private queriesAtStart = 0;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly cache: CacheService,
    private readonly queries: QueryCounter,
  ) {}

  onModuleInit(): void {
    const events = this.cache.stack.events;
    this.unsubscribe.push(
      events.on('hit', ({ key, layer }) => {
        if (!isCounter(key)) this.of(key).hits[layer]++;
      }),
      events.on('miss', ({ key }) => {
        if (!isCounter(key)) this.of(key).misses++;
      }),
      events.on('load', ({ key }) => this.of(key).loads++),
      events.on('write-behind:enqueued', ({ cache }) => this.named(cache).writes++),
    );
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** The counters since boot or the last {@link reset}. */
  snapshot(): CacheStats {
    const caches: CacheStats['caches'] = {};
    const total: CacheCounters = { hits: { l1: 0, l2: 0 }, misses: 0, loads: 0, writes: 0 };
    for (const [name, c] of [...this.counters].sort(([a], [b]) => a.localeCompare(b))) {
      caches[name] = { ...c, hits: { ...c.hits }, hitRate: hitRate(c) };
      if (COUNTER_CACHES.has(name)) continue;
      total.hits.l1 += c.hits.l1;
      total.hits.l2 += c.hits.l2;
      total.misses += c.misses;
      total.loads += c.loads;
      total.writes += c.writes;
    }
    const queries = this.queries.queries - this.queriesAtStart;
    const perLoad = total.loads > 0 ? queries / total.loads : 0;
    return {
      since: this.since,
      caches,
      total: { ...total, hitRate: hitRate(total) },
      database: { queries, queriesSavedEstimate: Math.round((total.hits.l1 + total.hits.l2) * perLoad) },
    };
  }

  /** Starts counting again (the load script resets before each run). */
  reset(): void {
    this.counters = new Map();
    this.since = new Date();
    this.queriesAtStart = this.queries.queries;
  }

  private of(fullKey: string): CacheCounters {
    return this.named(cacheName(fullKey));
  }

  private named(name: string): CacheCounters {
    let counters = this.counters.get(name);
    if (!counters) {
      counters = { hits: { l1: 0, l2: 0 }, misses: 0, loads: 0, writes: 0 };
      this.counters.set(name, counters);
    }
    return counters;
  }
}

function cacheName(fullKey: string): string {
  const [, namespace = '?', first = '?'] = fullKey.split(':');
  return namespace === 'default' ? first : namespace;
}

function isCounter(fullKey: string): boolean {
  return COUNTER_CACHES.has(cacheName(fullKey));
}

function hitRate(c: CacheCounters): number | null {
  const hits = c.hits.l1 + c.hits.l2;
  return hits + c.misses === 0 ? null : Math.round((hits / (hits + c.misses)) * 1000) / 1000;
}
