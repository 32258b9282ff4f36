import 'reflect-metadata';
import { JournalUnavailableError, QueueFullError, type StrataEventMap } from '@strata/core';
import {
  CACHE_MISS,
  JOURNAL_GROUP,
  type PartitionKeys,
  type RedisWriteBehindCache,
  type StrataEventName,
} from '@strata/core/internal';
import type { RedisServer } from '@strata/testing';
import type { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/deferred.js';
import { uniquePrefix } from '../support/app.js';
import type { Price } from './pricing.fixture.js';
import type { StrategyServers } from './strategy-servers.fixture.js';
import {
  closeWriteBehindApps,
  createWriteBehindApp,
  readCounts,
  readRows,
  type WriteBehindApp,
  type WriteBehindAppOptions,
  type WriteBehindOptions,
} from './write-behind.fixture.js';

/**
 * Registers the tests of write-behind with the Redis Stream journal, over `servers`, which the
 * spec file starts. The tests that kill Redis run on a single Redis only.
 */
export function describeWriteBehindRedis(servers: StrategyServers): void {
  afterEach(closeWriteBehindApps);
  describe('write-behind with the Redis Stream journal', () => journalTests(servers));
  const server = servers.server;
  if (server !== undefined) {
    describe('write-behind with the Redis journal while Redis is down', () =>
      redisDownTests(servers, server));
  }
}

const price = (id: string, amount: number): Price => ({ id, amount });

/** An app on the Redis of `servers`; its write-behind caches use the Redis journal (the default there). */
const appOn =
  (servers: StrategyServers) =>
  (cache: WriteBehindOptions = {}, more: Partial<WriteBehindAppOptions> = {}) =>
    createWriteBehindApp({ databaseUrl: servers.databaseUrl, ...servers.redisTarget, cache, ...more });

const journalOf = (app: WriteBehindApp) => app.prices as unknown as RedisWriteBehindCache<Price>;

/**
 * The journal partition of `key`: on a cluster, the one whose hash tag the key's cache entry
 * carries (`cacheKey`); on a single Redis, the only one.
 */
function partitionOf(app: WriteBehindApp, key: string): PartitionKeys {
  const { partitions } = journalOf(app);
  const cacheKey = journalOf(app).cacheKey(key);
  const partition =
    partitions.length === 1 ? partitions[0] : partitions.find((p) => cacheKey.startsWith(`${p.tag}:`));
  if (partition === undefined) throw new Error(`no journal partition found for ${key}`);
  return partition;
}

function collect<E extends StrataEventName>(app: WriteBehindApp, event: E): StrataEventMap[E][] {
  const seen: StrataEventMap[E][] = [];
  app.stack.events.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Runs `use` on a Redis client of the test's own, for looking at the journal's keys. */
const inspectOn =
  (servers: StrategyServers) =>
  async <T>(use: (redis: Redis | Cluster) => Promise<T>): Promise<T> => {
    const redis = servers.inspector();
    try {
      return await use(redis);
    } finally {
      redis.disconnect();
    }
  };

function journalTests(servers: StrategyServers): void {
  const redisApp = appOn(servers);
  const inspect = inspectOn(servers);

  it('coalesces 10,000 sets over 100 keys, the last value winning, and leaves the stream empty', async () => {
    const app = await redisApp({ flushInterval: '20ms' });
    expect(app.prices.journal).toBe('redis');
    // How often the flusher ran depends on the machine's speed; what coalescing promises is one
    // delivery per key per batch, however many sets came in between.
    let batches = 0;
    app.stack.events.on('write-behind:flushed', (flushed) => {
      if (flushed.cache === 'prices') batches++;
    });
    const keys = Array.from({ length: 100 }, (_, i) => `sku-${i}`);
    for (let round = 0; round < 100; round++) {
      await Promise.all(keys.map((key, i) => app.prices.set(key, price(key, round * 1_000 + i))));
    }
    await app.prices.flush();

    const rows = await readRows(servers.databaseUrl);
    expect(rows.size).toBe(100);
    keys.forEach((key, i) =>
      expect(rows.get(key), key).toMatchObject({ amount: 99_000 + i, deleted: false }),
    );
    for (const key of keys) {
      const delivered = app.writer.delivered.get(key) ?? [];
      // Coalesced in the pending hash: at most one delivery per key per batch, each newer than the last.
      expect(delivered.length, key).toBeLessThanOrEqual(batches);
      for (let i = 1; i < delivered.length; i++)
        expect(delivered[i]?.version).toBeGreaterThan(delivered[i - 1]?.version ?? Infinity);
      expect(rows.get(key)?.version).toBe(delivered.at(-1)?.version);
    }
    expect(batches).toBeGreaterThan(0);
    expect(app.writer.recordCount).toBeLessThanOrEqual(keys.length * batches);
    expect(await app.prices.pending()).toBe(0);
    expect(await journalOf(app).streamLength()).toBe(0);
  });

  it("announces its writes on the bus from the append script: another instance's L1 copy goes", async () => {
    const prefix = uniquePrefix();
    const a = await redisApp({ flushInterval: '10s' }, { prefix });
    const b = await redisApp({ flushInterval: '10s' }, { prefix });
    const cacheKey = journalOf(b).cacheKey('sku-1');
    await a.prices.set('sku-1', price('sku-1', 1));
    // B reads it into its L1 (a read racing A's announcement may not fill L1: read again).
    await waitFor(
      async () =>
        (await b.prices.get('sku-1')) !== undefined && b.stack.peek(cacheKey, 'prices') !== CACHE_MISS,
      2_000,
      "B's L1 to hold sku-1",
    );
    await a.prices.set('sku-1', price('sku-1', 2));
    await a.prices.delete('sku-1');
    await waitFor(() => b.stack.peek(cacheKey, 'prices') === CACHE_MISS, 2_000, "B's L1 copy to go");
    expect(await b.prices.get('sku-1')).toBeUndefined();
    await a.prices.set('sku-1', price('sku-1', 3));
    await waitFor(async () => (await b.prices.get('sku-1'))?.amount === 3, 2_000, 'B to read the new value');
  });

  it('adds a stream record only for a key without an unflushed write: the stream holds at most one per pending key', async () => {
    const app = await redisApp({ flushInterval: '10s' });
    for (let i = 0; i < 1_000; i++) await app.prices.set('hot', price('hot', i));
    await Promise.all(Array.from({ length: 500 }, (_, i) => app.prices.set('hot', price('hot', 1_000 + i))));
    expect(await journalOf(app).streamLength()).toBe(1);
    expect(await app.prices.pending()).toBe(1);
    expect(await app.prices.get('hot')).toEqual(price('hot', 1_499));
    await app.prices.flush();
    expect(await app.repo.row('hot')).toMatchObject({ amount: 1_499 });
    expect(app.writer.recordCount).toBe(1);
    expect(await journalOf(app).streamLength()).toBe(0);
    // Taken for delivery, the key has no pending record: the next write adds a record again.
    await app.prices.set('hot', price('hot', 2_000));
    expect(await journalOf(app).streamLength()).toBe(1);
  });

  it('fails only the bad write of a script call: an increment of a non-integer spares the writes sent with it', async () => {
    const app = await redisApp({}, { views: { flushInterval: '10s', loader: true } });
    await app.views.set('bad', 1.5);
    // Issued together, these share one journal script call.
    const results = await Promise.allSettled([
      app.views.increment('p1', 1),
      app.views.increment('bad', 1),
      app.views.increment('p2', 2),
      app.views.set('p3', 30),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: 'E_NOT_A_COUNTER' } });
    expect(await app.views.get('bad')).toBe(1.5); // unchanged by the failed increment
    await app.views.delete('bad');
    await app.views.flush();
    expect(await readCounts(servers.databaseUrl)).toEqual(
      new Map([
        ['p1', 1],
        ['p2', 2],
        ['p3', 30],
        ['bad', 0],
      ]),
    );
  });

  it('serves a pending write past its TTL from the journal, without loading, until it is flushed', async () => {
    const app = await redisApp({ flushInterval: '10s', ttl: '100ms' });
    await app.prices.set('sku-1', price('sku-1', 7));
    await app.prices.delete('sku-2');
    // Past the TTL (Redis drops the key on its own clock): the cache entry is gone.
    await waitFor(
      async () => (await app.stack.get('sku-1', { namespace: 'prices' })) === undefined,
      2_000,
      'the entry to expire in Redis',
    );
    expect(await app.prices.get('sku-1')).toEqual(price('sku-1', 7));
    expect(await app.prices.get('sku-2')).toBeUndefined();
    expect(app.repo.reads).toBe(0);
    expect(await app.repo.row('sku-1')).toBeUndefined();
    await app.prices.flush();
    expect(await app.repo.row('sku-1')).toMatchObject({ amount: 7 });
    expect(await app.repo.row('sku-2')).toMatchObject({ deleted: true });
  });

  it('keeps per-key order with interleaved sets and deletes', async () => {
    const app = await redisApp({ flushInterval: '5ms', batchSize: 7 });
    const expected = new Map<string, number | 'deleted'>();
    const calls: Promise<void>[] = [];
    for (let step = 0; step < 30; step++) {
      for (let k = 0; k < 10; k++) {
        const key = `sku-${k}`;
        const remove = (step + k) % 3 === 0;
        calls.push(remove ? app.prices.delete(key) : app.prices.set(key, price(key, step)));
        expected.set(key, remove ? 'deleted' : step);
      }
    }
    await Promise.all(calls);
    await app.prices.flush();
    const rows = await readRows(servers.databaseUrl);
    for (const [key, last] of expected) {
      if (last === 'deleted') expect(rows.get(key), key).toMatchObject({ deleted: true });
      else expect(rows.get(key), key).toMatchObject({ amount: last, deleted: false });
      expect(await app.prices.get(key)).toEqual(last === 'deleted' ? undefined : price(key, last));
    }
  });

  it('never leaves an older value when two instances flush one journal concurrently', async () => {
    const prefix = uniquePrefix();
    const a = await redisApp({ flushInterval: '5ms', batchSize: 5 }, { prefix });
    const b = await redisApp({ flushInterval: '5ms', batchSize: 5 }, { prefix });
    // Random writer delays reorder the two flushers' deliveries.
    for (const app of [a, b]) app.writer.before = () => sleep(Math.random() * 8);
    const keys = Array.from({ length: 10 }, (_, i) => `sku-${i}`);
    for (let round = 0; round < 40; round++) {
      const app = round % 2 === 0 ? a : b;
      await Promise.all(keys.map((key) => app.prices.set(key, price(key, round))));
    }
    await Promise.all([a.prices.flush(), b.prices.flush()]);
    await waitFor(async () => (await a.prices.pending()) === 0, 3_000, 'both flushers to finish');
    const rows = await readRows(servers.databaseUrl);
    for (const key of keys) {
      expect(rows.get(key), key).toMatchObject({ amount: 39, deleted: false });
      expect(await a.prices.get(key)).toEqual(price(key, 39));
    }
    // Both instances delivered: the race was real.
    expect(a.writer.recordCount).toBeGreaterThan(0);
    expect(b.writer.recordCount).toBeGreaterThan(0);
  });

  it('retries, then dead-letters a poison record into the dead-letter stream and evicts it, while the rest flows', async () => {
    const app = await redisApp({ flushInterval: '10s', retryBase: '10ms', maxAttempts: 3 });
    const deadLetters = collect(app, 'write-behind:dead-letter');
    const retries = collect(app, 'write-behind:retry');
    const others = Array.from({ length: 6 }, (_, i) => `sku-${i}`);
    await Promise.all([
      ...others.map((key) => app.prices.set(key, price(key, 3))),
      app.prices.set('poison', price('poison', -1)), // violates CHECK (amount >= 0)
    ]);
    await app.prices.flush();

    const rows = await readRows(servers.databaseUrl);
    for (const key of others) expect(rows.get(key), key).toMatchObject({ amount: 3 });
    expect(rows.has('poison')).toBe(false);
    expect(retries.filter((r) => r.key === 'poison').map((r) => r.attempt)).toEqual([1, 2]);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.error).toMatchObject({ code: '23514' });
    expect(app.prices.deadLetters[0]).toMatchObject({ key: 'poison', value: price('poison', -1) });
    const dead = await inspect((redis) => redis.xrange(partitionOf(app, 'poison').dead, '-', '+'));
    expect(dead).toHaveLength(1);
    expect(dead[0]?.[1]).toEqual(
      expect.arrayContaining(['k', 'poison', 'r', 's|j{"id":"poison","amount":-1}']),
    );
    // Evicted: the next read goes to Postgres, which never had it.
    expect(await app.prices.get('poison')).toBeUndefined();
    expect(await journalOf(app).streamLength()).toBe(0);

    // Re-driven once the database accepts it (the script runs in the partition's slot).
    expect(await app.prices.deadLetterCount()).toBe(1);
    const [letter] = await app.prices.listDeadLetters();
    await app.pool.query('ALTER TABLE prices DROP CONSTRAINT prices_amount_check');
    expect(await app.prices.redriveDeadLetter(letter?.id ?? '')).toBe('requeued');
    await app.prices.flush();
    expect((await readRows(servers.databaseUrl)).get('poison')).toMatchObject({ amount: -1 });
    expect(await app.prices.deadLetterCount()).toBe(0);
    expect(await app.prices.get('poison')).toEqual(price('poison', -1));
  });

  it('sums increments from many concurrent callers exactly, in the cache and in Postgres', async () => {
    const app = await redisApp({}, { views: { flushInterval: '5ms', loader: true } });
    const keys = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const expected = new Map(keys.map((key) => [key, 0]));
    await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => {
        const key = keys[i % keys.length] ?? 'p1';
        const delta = (i % 3) + 1;
        expected.set(key, (expected.get(key) ?? 0) + delta);
        return app.views.increment(key, delta);
      }),
    );
    for (const key of keys) expect(await app.views.get(key), key).toBe(expected.get(key));
    await app.views.flush();
    expect(await readCounts(servers.databaseUrl)).toEqual(expected);
    // A cached count moves with each increment.
    expect(await app.views.increment('p1', 10)).toBe((expected.get('p1') ?? 0) + 10);
  });

  it('never resets the database count on a miss without a loader', async () => {
    const app = await redisApp({}, { views: { flushInterval: '10s' } });
    await app.pool.query("INSERT INTO views (id, count, version) VALUES ('p1', 100, 0)");
    expect(await app.views.increment('p1', 5)).toBeUndefined(); // no cached count, no loader
    expect(await app.views.increment('p1', 2)).toBeUndefined();
    await app.views.flush();
    expect((await readCounts(servers.databaseUrl)).get('p1')).toBe(107);
  });

  it("removes a stopped instance's consumer from the group once it holds nothing, after claiming its records", async () => {
    // Passes run by flush() only, so the app's flusher cannot read sku-2's record before gone-holding.
    const app = await redisApp({ flushInterval: '10s', claimIdle: '100ms' });
    const stream = partitionOf(app, 'sku-2').stream;
    const consumers = () =>
      inspect(async (redis) => {
        const reply = (await redis.xinfo('CONSUMERS', stream, JOURNAL_GROUP)) as unknown[][];
        return reply.map((c) => ({ name: String(c[1]), pending: Number(c[3]) }));
      });
    await app.prices.set('sku-1', price('sku-1', 1));
    await app.prices.flush();
    // Two former instances: one still holds a record of sku-2, the other holds nothing.
    await app.prices.set('sku-2', price('sku-2', 2));
    await inspect(async (redis) => {
      await redis.xreadgroup('GROUP', JOURNAL_GROUP, 'gone-holding', 'COUNT', 10, 'STREAMS', stream, '>');
      const id = await redis.xadd(stream, '*', 'k', 'nothing', 'v', '1');
      await redis.xreadgroup('GROUP', JOURNAL_GROUP, 'gone-empty', 'COUNT', 10, 'STREAMS', stream, '>');
      await redis.xack(stream, JOURNAL_GROUP, id ?? '');
      await redis.xdel(stream, id ?? '');
    });
    expect(await consumers()).toEqual(
      expect.arrayContaining([
        { name: 'gone-holding', pending: 1 },
        { name: 'gone-empty', pending: 0 },
      ]),
    );
    await waitFor(
      async () => {
        await app.prices.flush(); // prunes (at most once per claimIdle) and claims idle records
        return (await consumers()).every((c) => !c.name.startsWith('gone-'));
      },
      5_000,
      'the former consumers to be removed',
    );
    // sku-2's record was claimed and delivered, not dropped with its consumer.
    expect(await app.repo.row('sku-2')).toMatchObject({ amount: 2 });
    expect(await journalOf(app).streamLength()).toBe(0);
  });

  it('drains on shutdown', async () => {
    const app = await redisApp({ flushInterval: '10s' });
    await Promise.all(Array.from({ length: 50 }, (_, i) => app.prices.set(`sku-${i}`, price(`sku-${i}`, i))));
    expect(await app.prices.pending()).toBe(50);
    await app.close();
    const rows = await readRows(servers.databaseUrl);
    expect(rows.size).toBe(50);
  });

  it('applies backpressure by distinct unflushed keys: reject, or wait for a flush', async () => {
    // One partition (the default on a single Redis): the limit is then exact (see the next test).
    const one = { flushInterval: '10s', partitions: 1 } as const;
    const rejecting = await redisApp({ ...one, maxQueueLength: 3, onFull: 'reject' });
    for (const key of ['a', 'b', 'c']) await rejecting.prices.set(key, price(key, 1));
    await expect(rejecting.prices.set('d', price('d', 1))).rejects.toBeInstanceOf(QueueFullError);
    await rejecting.prices.set('a', price('a', 2)); // a key already pending takes no room
    await rejecting.prices.flush();
    await rejecting.prices.set('d', price('d', 1));

    const waiting = await redisApp({ ...one, maxQueueLength: 2, onFull: 'wait' });
    await waiting.prices.set('a', price('a', 1));
    await waiting.prices.set('b', price('b', 1));
    let done = false;
    const third = waiting.prices.set('c', price('c', 1)).then(() => (done = true));
    await sleep(100);
    expect(done).toBe(false);
    await waiting.prices.flush();
    await third;
    expect(await waiting.prices.get('c')).toEqual(price('c', 1));
  });

  it('never holds more than maxQueueLength unflushed keys over several partitions', async () => {
    const app = await redisApp({ flushInterval: '10s', maxQueueLength: 5, partitions: 2, onFull: 'reject' });
    const keys = Array.from({ length: 20 }, (_, i) => `sku-${i}`);
    const results = await Promise.allSettled(keys.map((key) => app.prices.set(key, price(key, 1))));
    const accepted = keys.filter((_, i) => results[i]?.status === 'fulfilled');
    for (const result of results)
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(QueueFullError);
    // An equal share each, rounded down: 2 keys per partition, both filled by 20 keys.
    expect(accepted).toHaveLength(4);
    expect(await app.prices.pending()).toBe(4);
    await app.prices.flush();
    expect([...(await readRows(servers.databaseUrl)).keys()].sort()).toEqual([...accepted].sort());
  });
}

/** Redis SIGKILLed under a running app (single Redis only: the cluster has no one server to kill). */
function redisDownTests(servers: StrategyServers, server: () => RedisServer): void {
  const redisApp = appOn(servers);

  it('falls back to a synchronous write-through, then serves the new value once Redis is back', async () => {
    const app = await redisApp({ flushInterval: '10s' });
    await server().kill();
    try {
      const started = Date.now();
      await app.prices.set('sku-1', price('sku-1', 4));
      await app.prices.delete('sku-2');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await app.repo.row('sku-1')).toMatchObject({ amount: 4 }); // persisted at once
      expect(await app.repo.row('sku-2')).toMatchObject({ deleted: true });
      expect(await app.prices.get('sku-1')).toEqual(price('sku-1', 4)); // from the loader
    } finally {
      await server().restart();
    }
    await waitFor(() => app.stack.l2Available, 8_000, 'Redis to be used again');
    expect(await app.prices.get('sku-1')).toEqual(price('sku-1', 4));
  });

  it("rejects with JournalUnavailableError when onRedisDown is 'reject', writing nothing", async () => {
    const app = await redisApp({ flushInterval: '10s', onRedisDown: 'reject' });
    await server().kill();
    try {
      await expect(app.prices.set('sku-1', price('sku-1', 4))).rejects.toBeInstanceOf(
        JournalUnavailableError,
      );
      expect(await app.repo.row('sku-1')).toBeUndefined();
    } finally {
      await server().restart();
    }
  });
}
