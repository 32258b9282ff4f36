import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import type { CacheStack } from '@strata/core';
import { Cacheable, CacheService, InjectCacheStack } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, type Backend } from './support/app.js';
import { deferred, settle } from './support/deferred.js';

/** Lives in a feature module that does not import StrataModule: the module is global. */
@Injectable()
class ReportService {
  constructor(
    readonly cache: CacheService,
    @InjectCacheStack() readonly stack: CacheStack,
  ) {}
}

@Module({ providers: [ReportService], exports: [ReportService] })
class ReportsModule {}

@Injectable()
class PriceService {
  calls = 0;

  @Cacheable({ key: (sku: string) => `price:${sku}` })
  async price(sku: string): Promise<number> {
    this.calls++;
    return sku.length;
  }
}

async function cacheApp(backend: Backend): Promise<{ cache: CacheService; prices: PriceService }> {
  const moduleRef = await createApp(backend.options(), [PriceService], { imports: [ReportsModule] });
  const reports = moduleRef.get(ReportService);
  expect(reports.cache).toBe(moduleRef.get(CacheService));
  expect(reports.stack).toBe(reports.cache.stack);
  return { cache: reports.cache, prices: moduleRef.get(PriceService) };
}

/**
 * Registers the `CacheService` tests once per backend, with the clean-up after each test. The spec
 * file starts the servers the backends need.
 */
export function describeCacheService(backends: readonly Backend[]): void {
  afterEach(closeApps);
  describe.each(backends)('CacheService on $name', cacheServiceTests);
}

function cacheServiceTests(backend: Backend): void {
  it('is injected into any module, over the same stack as the decorators', async () => {
    const { cache, prices } = await cacheApp(backend);

    await cache.set('price:apple', 99);
    expect(await prices.price('apple')).toBe(99);
    expect(prices.calls).toBe(0);

    expect(await prices.price('kiwi')).toBe(4);
    expect(await cache.get('price:kiwi')).toBe(4);
    expect(cache.stack.l2Available).toBe(backend.name.startsWith('redis'));
  });

  it('gets and sets values, with null a value and undefined never stored', async () => {
    const { cache } = await cacheApp(backend);

    expect(await cache.get('missing')).toBeUndefined();
    await cache.set('user', { id: 1, at: new Date(5) });
    await cache.set('none', null);
    await cache.set('zero', 0);
    await cache.set('skip', undefined);

    expect(await cache.get('user')).toEqual({ id: 1, at: new Date(5) });
    expect(await cache.get('none')).toBeNull();
    expect(await cache.get('zero')).toBe(0);
    expect(await cache.get('skip')).toBeUndefined();
    // Namespaces keep equal keys apart.
    expect(await cache.get('user', { namespace: 'other' })).toBeUndefined();
    await cache.set('user', 'other user', { namespace: 'other' });
    expect(await cache.get('user', { namespace: 'other' })).toBe('other user');
    expect(await cache.get('user')).toEqual({ id: 1, at: new Date(5) });
  });

  it('deletes one key or several', async () => {
    const { cache } = await cacheApp(backend);
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.set('c', 3);

    await cache.delete('a');
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe(2);

    await cache.delete(['b', 'c']);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('c')).toBeUndefined();
  });

  it('wraps a loader: runs it once for concurrent callers, then serves the stored value', async () => {
    const { cache } = await cacheApp(backend);
    const gate = deferred();
    let runs = 0;
    const loader = async (): Promise<{ rates: number[] }> => {
      runs++;
      await gate.promise;
      return { rates: [1, 2] };
    };

    const calls = Array.from({ length: 20 }, () => cache.wrap('fx', loader));
    await settle();
    gate.resolve();
    const results = await Promise.all(calls);

    expect(runs).toBe(1);
    for (const result of results) expect(result).toEqual({ rates: [1, 2] });
    expect(await cache.wrap('fx', loader)).toEqual({ rates: [1, 2] });
    expect(await cache.get('fx')).toEqual({ rates: [1, 2] });
    expect(runs).toBe(1);

    let undefinedRuns = 0;
    await cache.wrap('nothing', () => {
      undefinedRuns++;
      return undefined;
    });
    await cache.wrap('nothing', () => {
      undefinedRuns++;
      return undefined;
    });
    expect(undefinedRuns).toBe(2);
  });

  it('invalidates tags', async () => {
    const { cache } = await cacheApp(backend);
    await cache.set('p1', 'one', { tags: ['product:1', 'products'] });
    await cache.set('p2', 'two', { tags: ['product:2', 'products'] });
    await cache.set('misc', 'misc');

    await cache.invalidateTags(['product:1']);
    expect(await cache.get('p1')).toBeUndefined();
    expect(await cache.get('p2')).toBe('two');

    await cache.invalidateTags(['products']);
    expect(await cache.get('p2')).toBeUndefined();
    expect(await cache.get('misc')).toBe('misc');

    // A value written after the invalidation is kept.
    await cache.set('p1', 'one again', { tags: ['product:1'] });
    expect(await cache.get('p1')).toBe('one again');
  });

  it('invalidates a namespace and only that one', async () => {
    const { cache } = await cacheApp(backend);
    await cache.set('a', 1, { namespace: 'reports' });
    await cache.set('b', 2, { namespace: 'reports' });
    await cache.set('a', 3, { namespace: 'users' });
    await cache.set('a', 4);

    await cache.invalidateNamespace('reports');

    expect(await cache.get('a', { namespace: 'reports' })).toBeUndefined();
    expect(await cache.get('b', { namespace: 'reports' })).toBeUndefined();
    expect(await cache.get('a', { namespace: 'users' })).toBe(3);
    expect(await cache.get('a')).toBe(4);
    await cache.set('a', 5, { namespace: 'reports' });
    expect(await cache.get('a', { namespace: 'reports' })).toBe(5);
  });
}
