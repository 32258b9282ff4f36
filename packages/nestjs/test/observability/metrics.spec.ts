import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { WriteBehindStrategyCache } from '@strata/core';
import {
  getCacheToken,
  STRATA_CACHE_STACK,
  StrataMetrics,
  StrataMetricsModule,
  StrataModule,
} from '@strata/nestjs';
import type { CacheStack } from '@strata/core';
import { readFile } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { useRedisServer } from '../support/redis.js';
import {
  CartWriter,
  FailingWriter,
  writeBehindFeature,
  ProductService,
  sample,
} from './observability.fixture.js';

const redis = useRedisServer();

describe('StrataMetricsModule', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await app?.close();
    app = undefined;
  });

  async function boot(registry: Registry, redisUrl?: string, l1 = false): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StrataModule.forRoot({
          prefix: uniquePrefix(),
          jitter: 0,
          ...(redisUrl !== undefined && { redis: { url: redisUrl }, ...(!l1 && { l1: false as const }) }),
        }),
        writeBehindFeature(redisUrl === undefined ? 'memory' : 'redis', 2),
        StrataMetricsModule.forRoot({ registry }),
      ],
      providers: [ProductService, CartWriter, FailingWriter],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('counts a scripted sequence of hits, misses, loads and write-behind flushes exactly', async () => {
    const registry = new Registry();
    const nest = await boot(registry);
    const products = nest.get(ProductService);
    const carts = nest.get<WriteBehindStrategyCache<number>>(getCacheToken('carts'));
    const orders = nest.get<WriteBehindStrategyCache<number>>(getCacheToken('orders'));

    await products.find('1'); // miss + load
    await products.find('1'); // L1 hit
    await products.find('1'); // L1 hit
    await products.find('2'); // miss + load
    await expect(products.find('broken')).rejects.toThrow('database down'); // miss + failed load
    await products.find('2'); // L1 hit

    const req = (labels: Record<string, string>) => sample(registry, 'strata_requests_total', labels);
    expect(await req({ cache: 'products', layer: 'l1', result: 'hit' })).toBe(3);
    expect(await req({ cache: 'products', layer: 'none', result: 'miss' })).toBe(3);
    expect(await req({ cache: 'products', layer: 'l2', result: 'hit' })).toBe(0);
    // Scraping again adds nothing twice.
    expect(await req({ cache: 'products', layer: 'l1', result: 'hit' })).toBe(3);
    const loads = (outcome: string) =>
      sample(
        registry,
        'strata_load_duration_seconds',
        { cache: 'products', outcome },
        'strata_load_duration_seconds_count',
      );
    expect(await loads('success')).toBe(2);
    expect(await loads('error')).toBe(1);
    expect(products.loads).toBe(3);
    expect(await sample(registry, 'strata_l1_entries')).toBe(2);
    expect(await sample(registry, 'strata_l1_bytes')).toBeGreaterThan(0);

    await carts.set('a', 1);
    await carts.set('b', 2);
    await carts.set('a', 3); // coalesced with the first
    await carts.delete('c');
    await orders.set('x', 1);
    expect(await sample(registry, 'strata_write_behind_queue_depth', { cache: 'carts' })).toBe(3);
    expect(await sample(registry, 'strata_write_behind_queue_depth', { cache: 'orders' })).toBe(1);
    expect(
      await sample(registry, 'strata_write_behind_enqueued_total', { cache: 'carts', kind: 'set' }),
    ).toBe(3);
    expect(
      await sample(registry, 'strata_write_behind_enqueued_total', { cache: 'carts', kind: 'delete' }),
    ).toBe(1);
    // The memory journal's age is read on `Date`: faked for this reading only, it moves on at once.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.advanceTimersByTime(20);
    expect(
      await sample(registry, 'strata_write_behind_oldest_pending_age_seconds', { cache: 'carts' }),
    ).toBeGreaterThanOrEqual(0.02);
    vi.useRealTimers();

    await carts.flush();
    await orders.flush(); // fails twice: one retry, then dead-lettered

    expect(nest.get(CartWriter).written).toEqual(['b=2', 'a=3', '-c']);
    expect(await sample(registry, 'strata_write_behind_flushed_total', { cache: 'carts' })).toBe(3);
    expect(
      await sample(
        registry,
        'strata_write_behind_flush_duration_seconds',
        { cache: 'carts' },
        'strata_write_behind_flush_duration_seconds_count',
      ),
    ).toBe(1);
    expect(
      await sample(
        registry,
        'strata_write_behind_flush_batch_size',
        { cache: 'carts' },
        'strata_write_behind_flush_batch_size_sum',
      ),
    ).toBe(3);
    expect(await sample(registry, 'strata_write_behind_queue_depth', { cache: 'carts' })).toBe(0);
    expect(await sample(registry, 'strata_write_behind_oldest_pending_age_seconds', { cache: 'carts' })).toBe(
      0,
    );
    expect(await sample(registry, 'strata_write_behind_retries_total', { cache: 'orders' })).toBe(1);
    expect(await sample(registry, 'strata_write_behind_dead_letters_total', { cache: 'orders' })).toBe(1);
    expect(await sample(registry, 'strata_write_behind_unresolved_dead_letters', { cache: 'orders' })).toBe(
      1,
    );
    expect(await sample(registry, 'strata_write_behind_flushed_total', { cache: 'orders' })).toBe(0);
    // The dead letter's cache entry was evicted: a delete of one key.
    expect(await sample(registry, 'strata_deletes_total', { cache: 'orders' })).toBe(1);
    // A memory-only stack has no Redis metrics.
    expect(registry.getSingleMetric('strata_breaker_state')).toBeUndefined();

    // The same numbers as JSON, for a live dashboard.
    const snapshot = await nest.get(StrataMetrics).snapshot();
    expect(snapshot.lookups).toEqual(
      expect.arrayContaining([
        { cache: 'products', layer: 'l1', result: 'hit', count: 3 },
        { cache: 'products', layer: 'none', result: 'miss', count: 3 },
      ]),
    );
    const success = snapshot.loads.find((l) => l.cache === 'products' && l.outcome === 'success');
    expect(success?.count).toBe(2);
    expect(success?.buckets.at(-1)).toEqual({ le: 10, count: 2 });
    expect(snapshot.writeBehind).toEqual(
      expect.arrayContaining([{ cache: 'carts', depth: 0, oldestPendingAgeSeconds: 0 }]),
    );
    expect(snapshot.l1?.entries).toBeGreaterThanOrEqual(2);
  });

  it('with Redis: L2 hits, sets, invalidations, breaker, bus and Redis journal depth', async () => {
    const registry = new Registry();
    const nest = await boot(registry, redis.url);
    const stack = nest.get<CacheStack>(STRATA_CACHE_STACK);
    await stack.getOrLoad('k', () => 1, { namespace: 'things' }); // miss + load
    await stack.getOrLoad('k', () => 2, { namespace: 'things' }); // L2 hit (no L1)
    await stack.get('k', { namespace: 'things' }); // L2 hit
    await stack.set('s', 1, { namespace: 'things' });
    await stack.invalidateTags(['t1', 't2']);
    await stack.invalidateNamespace('things');

    expect(
      await sample(registry, 'strata_requests_total', { cache: 'things', layer: 'l2', result: 'hit' }),
    ).toBe(2);
    expect(
      await sample(registry, 'strata_requests_total', { cache: 'things', layer: 'none', result: 'miss' }),
    ).toBe(1);
    expect(await sample(registry, 'strata_sets_total', { cache: 'things' })).toBe(1);
    expect(await sample(registry, 'strata_invalidations_total', { kind: 'tag' })).toBe(2);
    expect(await sample(registry, 'strata_invalidations_total', { kind: 'namespace' })).toBe(1);
    expect(await sample(registry, 'strata_breaker_state', { state: 'closed' })).toBe(1);
    expect(await sample(registry, 'strata_breaker_state', { state: 'open' })).toBe(0);
    expect(await sample(registry, 'strata_l2_available')).toBe(1);
    expect(await sample(registry, 'strata_bus_connected')).toBe(1);
    expect(registry.getSingleMetric('strata_l1_entries')).toBeUndefined(); // l1: false

    const carts = nest.get<WriteBehindStrategyCache<number>>(getCacheToken('carts'));
    expect(carts.journal).toBe('redis');
    await carts.set('a', 1);
    await carts.set('b', 2);
    // Real time: the Redis journal's age is read on the Redis server's clock.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await sample(registry, 'strata_write_behind_queue_depth', { cache: 'carts' })).toBe(2);
    const age = await sample(registry, 'strata_write_behind_oldest_pending_age_seconds', { cache: 'carts' });
    expect(age).toBeGreaterThanOrEqual(0.015);
    expect(age).toBeLessThan(5);
    await carts.flush();
    expect(await sample(registry, 'strata_write_behind_queue_depth', { cache: 'carts' })).toBe(0);
    expect(await sample(registry, 'strata_write_behind_oldest_pending_age_seconds', { cache: 'carts' })).toBe(
      0,
    );
    expect(await sample(registry, 'strata_write_behind_flushed_total', { cache: 'carts' })).toBe(2);
    expect(nest.get(CartWriter).written).toEqual(['a=1', 'b=2']);
  });

  it('docs/observability.md documents every metric, and the Grafana dashboard uses only real ones', async () => {
    const registry = new Registry();
    await boot(registry, redis.url, true);
    const names = new Set<string>();
    for (const { name, type } of await registry.getMetricsAsJSON()) {
      names.add(name);
      if (String(type) === 'histogram')
        for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
    }
    const root = new URL('../../../../', import.meta.url);
    const docs = await readFile(new URL('docs/observability.md', root), 'utf8');
    const dashboard = await readFile(new URL('docs/grafana/strata-dashboard.json', root), 'utf8');
    const mentioned = (text: string) => new Set(text.match(/strata_[a-z0-9_]+/g) ?? []);
    expect([...mentioned(dashboard)].filter((name) => !names.has(name))).toEqual([]);
    expect([...mentioned(docs)].filter((name) => !names.has(name))).toEqual([]);
    const documented = mentioned(docs);
    const registered = registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
    expect(registered.filter((name) => !documented.has(name))).toEqual([]);
    expect(registered).toHaveLength(25);
  });

  it('removes its metrics when the app closes, so a new app can register them again', async () => {
    const registry = new Registry();
    await boot(registry);
    expect(registry.getSingleMetric('strata_requests_total')).toBeDefined();
    await app?.close();
    app = undefined;
    expect(registry.getMetricsAsArray()).toEqual([]);
    const again = await boot(registry);
    expect(again.get(StrataMetrics).registry).toBe(registry);
  });
});
