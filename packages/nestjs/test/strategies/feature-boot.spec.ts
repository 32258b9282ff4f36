import 'reflect-metadata';
import { Inject, Injectable } from '@nestjs/common';
import {
  CacheStack,
  StrataConfigError,
  WriteThroughStrategy,
  type CacheLoader,
  type NamedCacheConfig,
  type StrategyCache,
} from '@strata/core';
import { getCacheToken, STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';
import type { NamedCacheOptions } from '../../src/strategies/strata-feature.options.js';
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import {
  CATALOG_CACHES,
  closeCatalogApps,
  createCatalogApp,
  PriceLoader,
  PriceRepository,
  PriceWriter,
  ProductLoader,
  type CatalogAppOptions,
  type Price,
  useCatalogServers,
} from './pricing.fixture.js';

const servers = useCatalogServers();

afterEach(closeCatalogApps);

const appOptions = (extra: Partial<CatalogAppOptions> = {}): CatalogAppOptions => ({
  prefix: uniquePrefix(),
  redisUrl: servers.redis.url,
  databaseUrl: servers.databaseUrl,
  ...extra,
});

/** The error `action` throws or rejects with, asserted to be a `StrataConfigError`. */
async function configError(action: () => unknown): Promise<StrataConfigError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(StrataConfigError);
  return caught as StrataConfigError;
}

/** A loader that reads the prices table, registered in no module. */
@Injectable()
class UnregisteredPriceLoader implements CacheLoader<Price> {
  constructor(readonly prices: PriceRepository) {}
  load(id: string): Promise<Price | null> {
    return this.prices.find(id);
  }
}

/** A loader provided in the DbModule but not exported by it; counts its calls. */
@Injectable()
class HiddenPriceLoader implements CacheLoader<Price> {
  calls = 0;
  constructor(readonly prices: PriceRepository) {}
  load(id: string): Promise<Price | null> {
    this.calls++;
    return this.prices.find(id);
  }
}

const AUDIT_LOG = Symbol('AUDIT_LOG');

/** A loader needing something nobody provides. */
@Injectable()
class BrokenLoader implements CacheLoader<string> {
  constructor(@Inject(AUDIT_LOG) readonly log: string[]) {}
  async load(): Promise<string> {
    return 'never';
  }
}

describe('StrataModule.forFeature boot errors', () => {
  const feature = (caches: readonly NamedCacheOptions[]) => () => StrataModule.forFeature({ caches });

  it('rejects write-behind without a writer, and a journal that does not exist', async () => {
    const error = await configError(
      feature([{ name: 'prices', strategy: 'write-behind', loader: PriceLoader }]),
    );
    expect(error.option).toBe('caches[0].writer');
    expect(error.message).toMatch(/write-behind needs a writer/);

    const boot = await configError(() =>
      createCatalogApp(
        appOptions({
          caches: [
            ...CATALOG_CACHES,
            { name: 'later', strategy: 'write-behind', writer: PriceWriter, journal: 'disk' as 'redis' },
          ],
        }),
      ),
    );
    expect(boot.option).toBe('caches[later].journal');
    expect(boot.message).toMatch(/expected 'memory' or 'redis'/);
  });

  it('rejects an unknown strategy name', async () => {
    const error = await configError(
      feature([{ name: 'prices', strategy: 'read-through' as 'cache-aside', loader: PriceLoader }]),
    );
    expect(error.option).toBe('caches[0].strategy');
    expect(error.message).toMatch(/expected "cache-aside", "write-through" or "write-behind"/);
  });

  it('rejects write-through without a writer, naming caches[i].writer', async () => {
    const error = await configError(
      feature([{ name: 'prices', strategy: 'write-through', loader: PriceLoader }]),
    );
    expect(error.option).toBe('caches[0].writer');
    expect(error.message).toContain('caches[0].writer');

    const second = await configError(
      feature([CATALOG_CACHES[1]!, { name: 'prices', strategy: 'write-through', loader: PriceLoader }]),
    );
    expect(second.option).toBe('caches[1].writer');
  });

  it('rejects a name declared twice', async () => {
    const error = await configError(
      feature([
        { name: 'prices', strategy: 'write-through', loader: PriceLoader, writer: PriceWriter },
        { name: 'prices', strategy: 'cache-aside', loader: PriceLoader },
      ]),
    );
    expect(error.option).toBe('caches[1].name');
    expect(error.value).toBe('prices');
    expect(error.message).toMatch(/declared twice/);
  });

  it('rejects a name that is not a valid namespace', async () => {
    const error = await configError(feature([{ name: 'price list', strategy: 'cache-aside' }]));
    expect(error.option).toBe('caches[0].name');
  });

  it('fails the boot with a StrataConfigError naming the cache when its loader cannot be resolved', async () => {
    const error = await configError(() =>
      createCatalogApp(
        appOptions({
          caches: [...CATALOG_CACHES, { name: 'audit', strategy: 'cache-aside', loader: BrokenLoader }],
        }),
      ),
    );
    expect(error.option).toBe('caches[audit].loader');
    expect(error.value).toBe('BrokenLoader');
    expect(error.message).toMatch(/cannot be resolved/);
    // The cause says what is missing.
    expect(error.message).toContain('AUDIT_LOG');
  });

  it('creates an unregistered loader with its dependencies injected from the imports', async () => {
    const app = await createCatalogApp(
      appOptions({
        caches: [
          ...CATALOG_CACHES,
          { name: 'price-copies', strategy: 'cache-aside', loader: UnregisteredPriceLoader },
        ],
      }),
    );
    await app.priceRepository.upsert({ key: 'sku-1', version: 1, value: { id: 'sku-1', amount: 42 } });
    const copies = app.moduleRef.get<StrategyCache<Price>>(getCacheToken('price-copies'), {
      strict: false,
    });
    expect(await copies.get('sku-1')).toEqual({ id: 'sku-1', amount: 42 });
    expect(await copies.get('sku-1')).toEqual({ id: 'sku-1', amount: 42 });
    // It used the app's (only) repository: one read.
    expect(app.priceRepository.reads).toBe(1);
    // It was created for the cache, not registered in the app.
    expect(() => app.get(UnregisteredPriceLoader)).toThrow();
  });

  it('uses the registered instance of a loader its module provides but does not export', async () => {
    const app = await createCatalogApp(
      appOptions({
        hiddenDbProviders: [HiddenPriceLoader],
        caches: [{ ...CATALOG_CACHES[0]!, loader: HiddenPriceLoader }, CATALOG_CACHES[1]!],
      }),
    );
    const hidden = app.get(HiddenPriceLoader);
    await app.priceRepository.upsert({ key: 'sku-1', version: 1, value: { id: 'sku-1', amount: 42 } });
    expect(await app.catalog.prices.get('sku-1')).toEqual({ id: 'sku-1', amount: 42 });
    expect(await app.catalog.prices.get('sku-2')).toBeUndefined();
    // Both loads ran on the DbModule's own instance (not a second one created for the cache).
    expect(hidden.calls).toBe(2);
    expect(app.priceRepository.reads).toBe(2);
  });
});

/** A write-through strategy that records every write it persists (a replacement by token). */
class AuditedWriteThrough extends WriteThroughStrategy {
  readonly audit: string[] = [];

  override bind<T>(config: NamedCacheConfig<T>): StrategyCache<T> {
    const inner = super.bind(config);
    const audit = this.audit;
    return {
      name: inner.name,
      get: (key) => inner.get(key),
      async set(key, value) {
        audit.push(`set ${config.name}:${key}`);
        await inner.set(key, value);
      },
      async delete(key) {
        audit.push(`delete ${config.name}:${key}`);
        await inner.delete(key);
      },
    };
  }
}

describe('replacing a strategy provider', () => {
  it('uses a WriteThroughStrategy subclass provided under the token (useFactory with the app stack)', async () => {
    const app = await createCatalogApp(
      appOptions({
        configure: (builder) =>
          builder.overrideProvider(WriteThroughStrategy).useFactory({
            factory: (stack: CacheStack) => new AuditedWriteThrough(stack),
            inject: [STRATA_CACHE_STACK],
          }),
      }),
    );
    const strategy = app.get(WriteThroughStrategy);
    expect(strategy).toBeInstanceOf(AuditedWriteThrough);
    const audited = strategy as AuditedWriteThrough;

    await app.catalog.prices.set('sku-1', { id: 'sku-1', amount: 5 });
    await app.catalog.prices.delete('sku-1');
    await app.catalog.prices.set('sku-2', { id: 'sku-2', amount: 6 });
    // The cache-aside cache is not bound to it.
    await app.catalog.products.set('apple', { id: 'apple', name: 'Apple', price: 1 });
    expect(audited.audit).toEqual(['set prices:sku-1', 'delete prices:sku-1', 'set prices:sku-2']);

    // It still persists through the real writer and caches in the app's stack.
    expect(await app.priceRepository.row('sku-1')).toMatchObject({ deleted: true });
    expect(await app.priceRepository.row('sku-2')).toMatchObject({ amount: 6, deleted: false });
    expect(await app.stack.get('sku-2', { namespace: 'prices' })).toEqual({ id: 'sku-2', amount: 6 });
  });

  it('uses an instance given with useValue, bound to a stack of its own', async () => {
    const ownStack = new CacheStack({ prefix: uniquePrefix() });
    try {
      const replacement = new AuditedWriteThrough(ownStack);
      const app = await createCatalogApp(
        appOptions({
          configure: (builder) => builder.overrideProvider(WriteThroughStrategy).useValue(replacement),
        }),
      );
      expect(app.get(WriteThroughStrategy)).toBe(replacement);

      await app.catalog.prices.set('sku-1', { id: 'sku-1', amount: 9 });
      expect(replacement.audit).toEqual(['set prices:sku-1']);
      expect(await app.priceRepository.row('sku-1')).toMatchObject({ amount: 9 });
      // Cached in the replacement's (memory) stack, not in the app's Redis.
      expect(await ownStack.get('sku-1', { namespace: 'prices' })).toEqual({ id: 'sku-1', amount: 9 });
      expect(await app.stack.get('sku-1', { namespace: 'prices' })).toBeUndefined();
      expect(await app.catalog.prices.get('sku-1')).toEqual({ id: 'sku-1', amount: 9 });
      expect(app.priceRepository.reads).toBe(0);
    } finally {
      await ownStack.close();
    }
  });

  it('keeps ProductLoader, exported by the DbModule, as the injected instance', async () => {
    const app = await createCatalogApp(appOptions());
    const loader = app.get(ProductLoader);
    let calls = 0;
    const load = loader.load.bind(loader);
    loader.load = (id) => {
      calls++;
      return load(id);
    };
    await app.productRepository.insert({ id: 'apple', name: 'Apple', price: 1 });
    expect(await app.catalog.products.get('apple')).toEqual({ id: 'apple', name: 'Apple', price: 1 });
    expect(calls).toBe(1);
  });
});
