import 'reflect-metadata';
import { UncacheableValueError } from '@strata/core';
import type { RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deferred, waitFor } from '../support/deferred.js';
import { uniquePrefix } from '../support/app.js';
import {
  closeCatalogApps,
  createCatalogApp,
  PriceLoader,
  PriceWriter,
  type CatalogApp,
  type Price,
} from './pricing.fixture.js';
import type { StrategyServers } from './strategy-servers.fixture.js';
import { engineOf } from '@strata/core/internal';

let app: CatalogApp;
let loads: number;

/**
 * Registers the write-through tests (prices), each on an app of its own over `servers`, which
 * the spec file starts. The tests that SIGKILL Redis run on a single Redis only; its data must
 * survive a restart there (`appendOnly`).
 */
export function describeWriteThrough(servers: StrategyServers): void {
  beforeEach(async () => {
    app = await createCatalogApp({
      prefix: uniquePrefix(),
      ...servers.redisTarget,
      databaseUrl: servers.databaseUrl,
      // These tests count loads to show where a read was answered (Redis or Postgres); with L1
      // in front, a read during an outage could also come from L1 (the bus tests cover that).
      l1: false,
    });
    loads = 0;
    const loader = app.get(PriceLoader);
    const load = loader.load.bind(loader);
    loader.load = (id) => {
      loads++;
      return load(id);
    };
  });
  afterEach(closeCatalogApps);
  describe('write-through (prices)', () => {
    writeThroughTests(servers);
    const server = servers.server;
    if (server !== undefined) crashTests(server);
  });
}

const price = (id: string, amount: number): Price => ({ id, amount });

/** What Redis holds for a price (no L1 with Redis configured, so this is the shared cache). */
const cached = (id: string): Promise<Price | null | undefined> =>
  app.stack.get<Price | null>(id, { namespace: 'prices' });

/** Checks, with a client of its own, that Redis still holds the entry of `id` (survived the crash). */
async function redisHolds(server: RedisServer, id: string): Promise<boolean> {
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    return (await client.exists(engineOf(app.stack).keys.entry(id, 'prices'))) === 1;
  } finally {
    client.disconnect();
  }
}

/** Restarts Redis and waits until the app uses it again. */
async function restartRedis(server: RedisServer): Promise<void> {
  await server.restart();
  await waitFor(() => app.stack.l2Available, 5_000, 'the app to reconnect to Redis');
}

function writeThroughTests(servers: StrategyServers): void {
  it('persists a set to Postgres with a version, then serves it from the cache without a load', async () => {
    const { catalog, priceRepository: repo } = app;
    const before = Date.now() * 1024;
    await catalog.prices.set('sku-1', price('sku-1', 100));
    const after = (Date.now() + 1) * 1024;

    const row = await repo.row('sku-1');
    expect(row).toMatchObject({ amount: 100, deleted: false });
    expect(row?.version).toBeGreaterThanOrEqual(before);
    expect(row?.version).toBeLessThan(after);
    expect(repo.upserts).toEqual([{ key: 'sku-1', version: row?.version, value: price('sku-1', 100) }]);

    expect(await cached('sku-1')).toEqual(price('sku-1', 100));
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 100));
    expect(loads).toBe(0);
    expect(repo.reads).toBe(0);

    // A second set gets a newer version.
    await catalog.prices.set('sku-1', price('sku-1', 110));
    const second = await repo.row('sku-1');
    expect(second?.amount).toBe(110);
    expect(second?.version).toBeGreaterThan(row?.version ?? Infinity);
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 110));
    expect(loads).toBe(0);
  });

  it('lets a writer error reach the caller and leaves the cached value in place', async () => {
    const { catalog, priceRepository: repo } = app;
    await catalog.prices.set('sku-1', price('sku-1', 100));

    // CHECK (amount >= 0) rejects the write in Postgres.
    await expect(catalog.prices.set('sku-1', price('sku-1', -5))).rejects.toMatchObject({
      code: '23514',
      constraint: 'prices_amount_check',
    });

    expect(await repo.row('sku-1')).toMatchObject({ amount: 100, deleted: false });
    expect(await cached('sku-1')).toEqual(price('sku-1', 100));
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 100));
    expect(loads).toBe(0);
  });

  it('keeps the cache and Postgres agreeing when a value cannot be cached', async () => {
    const { catalog, priceRepository: repo } = app;
    await catalog.prices.set('sku-1', price('sku-1', 100));

    // An entity with a back-reference (as ORMs build them): the writer could persist its
    // columns, but the value cannot be encoded for the cache.
    const entity: Price & { history?: unknown[] } = price('sku-1', 200);
    entity.history = [entity];
    await expect(catalog.prices.set('sku-1', entity)).rejects.toBeInstanceOf(UncacheableValueError);

    // Either nothing was persisted, or the old entry was evicted: never 100 cached over 200 stored.
    const row = await repo.row('sku-1');
    expect(row?.deleted).toBe(false);
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', row?.amount ?? -1));
  });

  it('deletes with a tombstone that a re-delivered older upsert cannot resurrect', async () => {
    const { catalog, priceRepository: repo } = app;
    await catalog.prices.set('sku-1', price('sku-1', 100));
    const [firstWrite] = repo.upserts;
    expect(firstWrite).toBeDefined();

    await catalog.prices.delete('sku-1');
    const tombstone = await repo.row('sku-1');
    expect(tombstone).toMatchObject({ deleted: true });
    expect(tombstone?.version).toBeGreaterThan(firstWrite?.version ?? Infinity);
    expect(await cached('sku-1')).toBeUndefined();
    expect(await catalog.prices.get('sku-1')).toBeUndefined();
    expect(loads).toBe(1);
    expect(await cached('sku-1')).toBeNull();

    // Strata may deliver a record again (a retry): the older upsert loses to the tombstone.
    const writer = app.get(PriceWriter);
    await writer.writeMany([firstWrite!]);
    await writer.writeMany([
      { key: 'sku-1', version: (tombstone?.version ?? 0) - 1, value: price('sku-1', 7) },
    ]);
    expect(await repo.row('sku-1')).toEqual(tombstone);
    // …and so does a re-delivered delete (idempotent).
    await writer.deleteMany([{ key: 'sku-1', version: tombstone?.version ?? 0 }]);
    expect(await repo.row('sku-1')).toEqual(tombstone);

    // A newer write does bring it back.
    await catalog.prices.set('sku-1', price('sku-1', 300));
    expect(await repo.row('sku-1')).toMatchObject({ amount: 300, deleted: false });
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 300));
    expect(loads).toBe(1);
  });

  it('ends concurrent sets of one key with Postgres and the cache agreeing on the last call', async () => {
    const { catalog, priceRepository: repo } = app;
    repo.jitterMs = 15;
    const amounts = Array.from({ length: 20 }, (_, i) => i + 1);
    await Promise.all(amounts.map((amount) => catalog.prices.set('sku-1', price('sku-1', amount))));

    expect(await repo.row('sku-1')).toMatchObject({ amount: 20, deleted: false });
    expect(await cached('sku-1')).toEqual(price('sku-1', 20));
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 20));
    expect(loads).toBe(0);
    // Handed to the writer in call order, with increasing versions.
    expect(repo.upserts.map((record) => record.value.amount)).toEqual(amounts);
    const versions = repo.upserts.map((record) => record.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('across instances, ends racing sets with the cache holding the value Postgres kept', async () => {
    const prefix = uniquePrefix();
    const options = { prefix, ...servers.redisTarget, databaseUrl: servers.databaseUrl };
    const [a, b] = await Promise.all([createCatalogApp(options), createCatalogApp(options)]);
    const gate = deferred();
    let held = false;
    a.priceRepository.beforeUpsert = async () => {
      held = true;
      await gate.promise;
    };
    // A starts first but its writer stalls; B's set starts later and completes meanwhile.
    const slow = a.catalog.prices.set('sku-1', price('sku-1', 1));
    await waitFor(() => held, 5_000, "A's writer to start");
    await b.catalog.prices.set('sku-1', price('sku-1', 2));
    gate.resolve();
    await slow;

    expect(await a.priceRepository.row('sku-1')).toMatchObject({ amount: 2 }); // B's version is higher
    expect(await a.stack.get('sku-1', { namespace: 'prices' })).toEqual(price('sku-1', 2));
    expect(await a.catalog.prices.get('sku-1')).toEqual(price('sku-1', 2));
    expect(await b.catalog.prices.get('sku-1')).toEqual(price('sku-1', 2));
  });

  it('keeps a failed set from blocking the sets queued behind it', async () => {
    const { catalog, priceRepository: repo } = app;
    const results = await Promise.allSettled([
      catalog.prices.set('sku-1', price('sku-1', 1)),
      catalog.prices.set('sku-1', price('sku-1', -1)),
      catalog.prices.set('sku-1', price('sku-1', 3)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await repo.row('sku-1')).toMatchObject({ amount: 3 });
    expect(await cached('sku-1')).toEqual(price('sku-1', 3));
  });
}

/** Redis SIGKILLed around a set (single Redis only: the cluster has no one server to kill). */
function crashTests(server: () => RedisServer): void {
  it('with Redis SIGKILLed before the set: resolves within 1 s, persists, and never serves the old value after the restart', async () => {
    const { catalog, priceRepository: repo } = app;
    await catalog.prices.set('sku-1', price('sku-1', 100));
    expect(await cached('sku-1')).toEqual(price('sku-1', 100));

    await server().kill();
    const started = performance.now();
    await catalog.prices.set('sku-1', price('sku-1', 200));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await repo.row('sku-1')).toMatchObject({ amount: 200, deleted: false });

    await restartRedis(server());
    // The old entry survived the crash on disk: only Strata's repair keeps it from being served.
    expect(await redisHolds(server(), 'sku-1')).toBe(true);
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 200));
    expect(loads).toBe(1);
    // Loaded once, cached again in Redis.
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 200));
    expect(loads).toBe(1);
    expect(await cached('sku-1')).toEqual(price('sku-1', 200));
  });

  it('with Redis SIGKILLed between the persist and the cache write: same guarantees', async () => {
    const { catalog, priceRepository: repo } = app;
    await catalog.prices.set('sku-1', price('sku-1', 100));
    expect(await cached('sku-1')).toEqual(price('sku-1', 100));

    let persistedAt = 0;
    repo.afterUpsert = async () => {
      repo.afterUpsert = undefined;
      await server().kill();
      persistedAt = performance.now();
    };
    await catalog.prices.set('sku-1', price('sku-1', 200));
    expect(persistedAt).toBeGreaterThan(0);
    expect(performance.now() - persistedAt).toBeLessThan(1_000);
    expect(await repo.row('sku-1')).toMatchObject({ amount: 200, deleted: false });
    // While Redis is down, reads go to Postgres.
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 200));
    expect(loads).toBe(1);

    await restartRedis(server());
    expect(await redisHolds(server(), 'sku-1')).toBe(true);
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 200));
    expect(await catalog.prices.get('sku-1')).toEqual(price('sku-1', 200));
    expect(loads).toBe(2);
    expect(await cached('sku-1')).toEqual(price('sku-1', 200));
  });
}
