import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CACHE_MANAGER as NEST_CACHE_MANAGER } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import { StrataConfigError } from '@strata/core';
import {
  CACHE_MANAGER,
  Cacheable,
  CacheService,
  StrataCacheManagerModule,
  StrataModule,
} from '@strata/nestjs';
import { StrataCacheManager } from '../../src/cache-manager/strata-cache-manager.js';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import type { Cache } from 'cache-manager';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { closeApps, createApp, uniquePrefix } from '../support/app.js';
import { deferred, settle } from '../support/deferred.js';
import { useRedisServer } from '../support/redis.js';
import { CatalogService } from './catalog.service.js';

const redis = useRedisServer();

@Injectable()
class StockService {
  loads = 0;

  @Cacheable({ key: (sku: string) => `stock:${sku}` })
  async stock(sku: string): Promise<number> {
    this.loads++;
    return sku.length;
  }
}

async function instance(options: StrataModuleOptions): Promise<{ cache: Cache; catalog: CatalogService }> {
  const moduleRef = await createApp(options, [CatalogService], {
    imports: [StrataCacheManagerModule.forRoot()],
  });
  const catalog = moduleRef.get(CatalogService);
  return { cache: catalog.cache, catalog };
}

afterEach(closeApps);

describe('StrataCacheManager', () => {
  it('is a cache-manager 7 Cache, under the token @nestjs/cache-manager injects', async () => {
    expectTypeOf<StrataCacheManager>().toExtend<Cache>();
    expect(CACHE_MANAGER).toBe(NEST_CACHE_MANAGER);
    const { cache } = await instance({ prefix: uniquePrefix() });
    expect(cache).toBeInstanceOf(StrataCacheManager);
    expect(cache.stores).toStrictEqual([]);
  });

  it('clear drops its own namespace only, not @Cacheable entries', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix(), redis: { url: redis.url } }, [StockService], {
      imports: [StrataCacheManagerModule.forRoot({ namespace: 'legacy' })],
    });
    const cache = moduleRef.get<Cache>(CACHE_MANAGER);
    const stock = moduleRef.get(StockService);
    await stock.stock('abc');
    await moduleRef.get(CacheService).set('report', 'kept');
    await cache.set('k', 'v');
    await cache.clear();
    expect(await cache.get('k')).toBeUndefined();
    expect(await stock.stock('abc')).toBe(3);
    expect(stock.loads).toBe(1);
    expect(await moduleRef.get(CacheService).get('report')).toBe('kept');
  });

  // Redis alone: with an L1, other instances see a change once the bus delivers it (l1-coherence).
  it('shares entries, expiry times and invalidations between instances over Redis', async () => {
    const options = { prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url }, l1: false as const };
    const a = await instance(options);
    const b = await instance(options);
    await a.cache.set('k', { n: 1 }, 60_000);
    expect(await b.cache.get('k')).toStrictEqual({ n: 1 });
    expect(await b.cache.ttl('k')).toBe(await a.cache.ttl('k'));
    await b.cache.del('k');
    expect(await a.cache.get('k')).toBeUndefined();
    await a.cache.set('k', 2);
    expect(await b.cache.get('k')).toBe(2);
    await a.cache.clear();
    expect(await b.cache.get('k')).toBeUndefined();
  });

  it('runs a wrap loader once across instances', async () => {
    const options = { prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url } };
    const a = await instance(options);
    const b = await instance(options);
    const prices = await Promise.all([
      a.catalog.price('sku'),
      b.catalog.price('sku'),
      a.catalog.price('sku'),
    ]);
    expect(new Set(prices.map((price) => JSON.stringify(price))).size).toBe(1);
    expect(a.catalog.loads + b.catalog.loads).toBe(1);
    // Waiting on another instance's load: the fresh value is not refreshed (no second load).
    const refreshing = (instance: typeof a) => () => instance.catalog.loadPrice('other');
    await Promise.all([
      a.cache.wrap('other', refreshing(a), 60_000, 120_000),
      b.cache.wrap('other', refreshing(b), 60_000, 120_000),
    ]);
    expect(a.catalog.loads + b.catalog.loads).toBe(2);
  });

  it('hands out copies: a caller mutating its value does not change the cache', async () => {
    const { cache } = await instance({ prefix: uniquePrefix(), l1: { maxEntries: 100 } });
    const stored = { items: [1] };
    await cache.set('k', stored);
    stored.items.push(2);
    const read = await cache.get<{ items: number[] }>('k');
    read?.items.push(3);
    expect(await cache.get('k')).toStrictEqual({ items: [1] });
  });

  it('disconnect leaves the shared connection to StrataModule', async () => {
    const { cache } = await instance({ prefix: uniquePrefix(), redis: { url: redis.url } });
    expect(await cache.disconnect()).toBeUndefined();
    await cache.set('k', 'still here');
    expect(await cache.get('k')).toBe('still here');
  });

  it('waits for a background refresh at shutdown', async () => {
    const moduleRef = await createApp(
      { prefix: uniquePrefix(), redis: { url: redis.url } },
      [CatalogService],
      {
        imports: [StrataCacheManagerModule.forRoot({ refreshThreshold: 120_000 })],
      },
    );
    const cache = moduleRef.get<Cache>(CACHE_MANAGER);
    await cache.wrap('k', () => 1, 60_000);
    const reload = deferred<number>();
    expect(await cache.wrap('k', () => reload.promise, 60_000)).toBe(1);
    let closed = false;
    const closing = moduleRef.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    reload.resolve(2);
    await closing;
    expect(closed).toBe(true);
  });

  it.each([
    [{ namespace: 'a b' }, 'namespace'],
    [{ namespace: '' }, 'namespace'],
    [{ ttl: -1 }, 'ttl'],
    [{ ttl: Number.NaN }, 'ttl'],
    [{ refreshThreshold: Number.POSITIVE_INFINITY }, 'refreshThreshold'],
    [{ cacheId: '' }, 'cacheId'],
  ])('fails at boot on %j, naming the option', (options, option) => {
    expect(() => StrataCacheManagerModule.forRoot(options)).toThrow(StrataConfigError);
    expect(() => StrataCacheManagerModule.forRoot(options)).toThrow(`"${option}"`);
  });

  it('needs StrataModule, and says so at boot', async () => {
    const compiling = Test.createTestingModule({ imports: [StrataCacheManagerModule.forRoot()] }).compile();
    await expect(compiling).rejects.toThrow(/STRATA_CACHE_STACK/);
  });

  it('is global with isGlobal', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StrataModule.forRoot({ prefix: uniquePrefix() }),
        StrataCacheManagerModule.forRoot({ isGlobal: true, cacheId: 'legacy' }),
      ],
      providers: [CatalogService],
    }).compile();
    expect(moduleRef.get(CatalogService).cache.cacheId()).toBe('legacy');
    await moduleRef.close();
  });
});
