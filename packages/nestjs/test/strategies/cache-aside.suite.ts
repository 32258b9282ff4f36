import 'reflect-metadata';
import { CacheTransactions } from '@strata/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { closeCatalogApps, createCatalogApp, type CatalogApp, type Product } from './pricing.fixture.js';
import type { StrategyServers } from './strategy-servers.fixture.js';

let app: CatalogApp;

/**
 * Registers the cache-aside tests (products, and inside database transactions), each on an app
 * of its own over `servers`, which the spec file starts.
 */
export function describeCacheAside(servers: StrategyServers): void {
  beforeEach(async () => {
    app = await createCatalogApp({
      prefix: uniquePrefix(),
      ...servers.redisTarget,
      databaseUrl: servers.databaseUrl,
    });
  });
  afterEach(closeCatalogApps);
  describe('cache-aside (products)', cacheAsideTests);
  describe('cache-aside inside a database transaction (CacheTransactions)', transactionTests);
}

const apple: Product = { id: 'apple', name: 'Apple', price: 100 };

/** What Redis holds for a product (no L1 with Redis configured, so this is the shared cache). */
const cached = (id: string): Promise<Product | null | undefined> =>
  app.stack.get<Product | null>(id, { namespace: 'products' });

function cacheAsideTests(): void {
  it('loads a miss from Postgres once, then serves hits from the cache', async () => {
    const { catalog, productRepository: repo } = app;
    await repo.insert(apple);
    expect(await cached('apple')).toBeUndefined();

    expect(await catalog.products.get('apple')).toEqual(apple);
    expect(repo.reads).toBe(1);
    expect(await cached('apple')).toEqual(apple);

    for (let i = 0; i < 3; i++) expect(await catalog.products.get('apple')).toEqual(apple);
    expect(repo.reads).toBe(1);
  });

  it('caches null for a missing row', async () => {
    const { catalog, productRepository: repo } = app;
    expect(await catalog.products.get('ghost')).toBeUndefined();
    expect(repo.reads).toBe(1);
    expect(await cached('ghost')).toBeNull();

    // The row appears behind the cache's back: the cached "not found" is still served.
    await repo.insert({ id: 'ghost', name: 'Ghost', price: 1 });
    expect(await catalog.products.get('ghost')).toBeUndefined();
    expect(repo.reads).toBe(1);
  });

  it('set and delete after the app updates the row itself', async () => {
    const { catalog, productRepository: repo } = app;
    await repo.insert(apple);
    expect(await catalog.products.get('apple')).toEqual(apple);

    await repo.updatePrice('apple', 120);
    // Without a set/delete the cache keeps the old row: that is the app's job in cache-aside.
    expect(await catalog.products.get('apple')).toEqual(apple);
    await catalog.products.set('apple', { ...apple, price: 120 });
    expect(await cached('apple')).toEqual({ ...apple, price: 120 });
    expect(await catalog.products.get('apple')).toEqual({ ...apple, price: 120 });
    expect(repo.reads).toBe(1);

    await repo.updatePrice('apple', 130);
    await catalog.products.delete('apple');
    expect(await cached('apple')).toBeUndefined();
    expect(await catalog.products.get('apple')).toEqual({ ...apple, price: 130 });
    expect(repo.reads).toBe(2);
    expect(await repo.committed('apple')).toEqual({ ...apple, price: 130 });
    expect(await cached('apple')).toEqual({ ...apple, price: 130 });
  });

  it('runs the loader once for 50 concurrent cold gets', async () => {
    const { catalog, productRepository: repo } = app;
    await repo.insert(apple);
    repo.loadDelayMs = 50;
    const results = await Promise.all(Array.from({ length: 50 }, () => catalog.products.get('apple')));
    expect(results).toHaveLength(50);
    for (const result of results) expect(result).toEqual(apple);
    expect(repo.reads).toBe(1);
    // Each caller has its own copy, not a shared reference it could corrupt for the others.
    expect(new Set(results).size).toBe(50);
    expect(await cached('apple')).toEqual(apple);
  });
}

function transactionTests(): void {
  it('is exported by the root module and is the one the strategy defers to', () => {
    expect(app.get(CacheTransactions)).toBe(app.catalog.transactions);
  });

  it('applies an eviction after COMMIT: the old row is served until then, the new one after', async () => {
    const { catalog, productRepository: repo } = app;
    await repo.insert(apple);
    expect(await catalog.products.get('apple')).toEqual(apple);

    let insideTransaction = false;
    await catalog.reprice('apple', 150, async () => {
      insideTransaction = catalog.transactions.active;
      // The eviction is deferred: readers (of the committed data) still get the old row from the
      // cache, without a load that could re-cache it before the commit.
      expect(await cached('apple')).toEqual(apple);
      expect(await catalog.products.get('apple')).toEqual(apple);
      expect(await repo.committed('apple')).toEqual(apple);
      expect(repo.reads).toBe(1);
    });
    expect(insideTransaction).toBe(true);

    expect(await repo.committed('apple')).toEqual({ ...apple, price: 150 });
    expect(await cached('apple')).toBeUndefined();
    expect(await catalog.products.get('apple')).toEqual({ ...apple, price: 150 });
    expect(repo.reads).toBe(2);
  });

  it('applies a set after COMMIT too', async () => {
    const { catalog, productRepository: repo } = app;
    await repo.insert(apple);
    expect(await catalog.products.get('apple')).toEqual(apple);

    await catalog.transactions.run(() =>
      repo.transaction(async (tx) => {
        await repo.updatePrice('apple', 160, tx);
        await catalog.products.set('apple', { ...apple, price: 160 });
        expect(await cached('apple')).toEqual(apple);
      }),
    );
    expect(await cached('apple')).toEqual({ ...apple, price: 160 });
    expect(await catalog.products.get('apple')).toEqual({ ...apple, price: 160 });
    expect(repo.reads).toBe(1);
  });

  it('drops an eviction made in a transaction that rolls back', async () => {
    const { catalog, productRepository: repo } = app;
    await repo.insert(apple);
    expect(await catalog.products.get('apple')).toEqual(apple);

    const failure = new Error('payment provider refused');
    await expect(
      catalog.reprice('apple', 999, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(await repo.committed('apple')).toEqual(apple);
    expect(await cached('apple')).toEqual(apple);
    expect(await catalog.products.get('apple')).toEqual(apple);
    expect(repo.reads).toBe(1);
    expect(catalog.transactions.active).toBe(false);
  });
}
