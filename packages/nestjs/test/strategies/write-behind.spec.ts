import 'reflect-metadata';
import { QueueFullError, StrataConfigError, type StrataEventMap } from '@strata/core';
import type { StrataEventName } from '@strata/core/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settle, sleep, waitFor } from '../support/deferred.js';
import { type Price, useCatalogServers } from './pricing.fixture.js';
import {
  closeWriteBehindApps,
  createWriteBehindApp,
  Gate,
  readCounts,
  readRows,
  type WriteBehindApp,
  type WriteBehindOptions,
} from './write-behind.fixture.js';

const servers = useCatalogServers();

afterEach(closeWriteBehindApps);
afterEach(() => {
  vi.useRealTimers();
});

const price = (id: string, amount: number): Price => ({ id, amount });

/** A memory-only app (no Redis). */
const memoryApp = (cache: WriteBehindOptions = {}): Promise<WriteBehindApp> =>
  createWriteBehindApp({ databaseUrl: servers.databaseUrl, cache });

/** Collects the payloads of a stack event. */
function collect<E extends StrataEventName>(app: WriteBehindApp, event: E): StrataEventMap[E][] {
  const seen: StrataEventMap[E][] = [];
  app.stack.events.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Whether `promise` has settled (after letting pending callbacks run). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

/** Asserts that the versions delivered for each key strictly increase, in arrival order. */
function expectIncreasingVersions(app: WriteBehindApp): void {
  for (const [key, records] of app.writer.delivered) {
    const versions = records.map((record) => record.version);
    for (let i = 1; i < versions.length; i++) {
      expect(versions[i], `version #${i} of ${key}`).toBeGreaterThan(versions[i - 1] ?? Infinity);
    }
  }
}

describe('write-behind (memory-only stack)', () => {
  it('coalesces 10,000 sets over 100 keys into a few row writes per key, the last value winning', async () => {
    const app = await memoryApp({ flushInterval: '10ms' });
    const keys = Array.from({ length: 100 }, (_, i) => `sku-${i}`);
    const last = new Map<string, number>();
    // 100 rounds of 100 sets in parallel; the flusher runs in 5 pauses between them.
    for (let round = 0; round < 100; round++) {
      await Promise.all(
        keys.map((key, i) => {
          const amount = round * 1_000 + i;
          last.set(key, amount);
          return app.prices.set(key, price(key, amount));
        }),
      );
      if (round % 20 === 10) {
        const calls = app.writer.calls.length;
        await waitFor(() => app.writer.calls.length > calls, 2_000, 'a timed flush');
      }
    }
    const callsDuringSets = app.writer.calls.length;
    await app.prices.flush();
    expect(await app.prices.pending()).toBe(0);

    const rows = await readRows(servers.databaseUrl);
    expect(rows.size).toBe(100);
    for (const key of keys) {
      expect(rows.get(key), key).toMatchObject({ amount: last.get(key), deleted: false });
      // The row holds the last version handed over for the key.
      expect(rows.get(key)?.version).toBe(app.writer.delivered.get(key)?.at(-1)?.version);
    }
    // Coalesced: a key appears at most once per writer call, and only a few times in all.
    for (const call of app.writer.calls) expect(new Set(call.keys).size).toBe(call.keys.length);
    const perKey = keys.map((key) => app.writer.delivered.get(key)?.length ?? 0);
    expect(Math.min(...perKey)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...perKey)).toBeLessThanOrEqual(12);
    expect(app.writer.recordCount).toBeLessThanOrEqual(1_200);
    // …though the flusher did write while the sets went on.
    expect(callsDuringSets).toBeGreaterThanOrEqual(2);
    expect(app.writer.rowsWritten).toBe(app.writer.recordCount);
    expectIncreasingVersions(app);

    // Reads come from the cache, not Postgres.
    expect(await app.prices.get('sku-7')).toEqual(price('sku-7', last.get('sku-7') ?? -1));
    expect(app.repo.reads).toBe(0);
  });

  it('with no flush in between, 10,000 sets become exactly one record per key', async () => {
    const app = await memoryApp({ flushInterval: '10s', batchSize: 40 });
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 100; i++) void app.prices.set(`sku-${i}`, price(`sku-${i}`, round));
    }
    await settle();
    expect(await app.prices.pending()).toBe(100);
    expect(app.writer.calls).toHaveLength(0);
    await app.prices.flush();
    expect(app.writer.calls.map((call) => call.keys.length)).toEqual([40, 40, 20]);
    expect(app.writer.recordCount).toBe(100);
    const rows = await readRows(servers.databaseUrl);
    expect([...rows.values()].every((row) => row.amount === 99 && !row.deleted)).toBe(true);
    expect(rows.size).toBe(100);
  });

  it('applies interleaved set/delete/set on one key in call order, versions strictly increasing', async () => {
    const app = await memoryApp({ flushInterval: '10s' });
    const { prices, repo } = app;

    await prices.set('sku-1', price('sku-1', 10));
    await prices.flush();
    const first = await repo.row('sku-1');
    expect(first).toMatchObject({ amount: 10, deleted: false });

    // A pending delete hides the value at once, without a load.
    await prices.delete('sku-1');
    expect(await prices.get('sku-1')).toBeUndefined();
    await prices.flush();
    const tombstone = await repo.row('sku-1');
    expect(tombstone).toMatchObject({ deleted: true });
    expect(tombstone?.version).toBeGreaterThan(first?.version ?? Infinity);
    expect(await prices.get('sku-1')).toBeUndefined();
    expect(repo.reads).toBe(1);

    await prices.set('sku-1', price('sku-1', 30));
    await prices.flush();
    const revived = await repo.row('sku-1');
    expect(revived).toMatchObject({ amount: 30, deleted: false });
    expect(revived?.version).toBeGreaterThan(tombstone?.version ?? Infinity);
    expect(app.writer.delivered.get('sku-1')?.map((r) => r.amount)).toEqual([10, undefined, 30]);

    // set, delete, set without a flush coalesce into the last set; set then delete into a delete.
    await prices.set('sku-2', price('sku-2', 1));
    await prices.delete('sku-2');
    await prices.set('sku-2', price('sku-2', 3));
    await prices.set('sku-3', price('sku-3', 1));
    await prices.delete('sku-3');
    await prices.flush();
    expect(app.writer.delivered.get('sku-2')?.map((r) => r.amount)).toEqual([3]);
    expect(app.writer.delivered.get('sku-3')?.map((r) => r.amount)).toEqual([undefined]);
    expect(await repo.row('sku-2')).toMatchObject({ amount: 3, deleted: false });
    expect(await repo.row('sku-3')).toMatchObject({ deleted: true });

    // 90 operations fired without waiting, flushes racing them: the last one wins.
    const ops: Promise<void>[] = [];
    for (let i = 1; i <= 90; i++) {
      ops.push(i % 3 === 2 ? prices.delete('sku-4') : prices.set('sku-4', price('sku-4', i)));
      if (i % 7 === 0) ops.push(prices.flush());
      // A timer turn now and then: flushes started above get to run between the operations.
      if (i % 10 === 0) await sleep(1);
    }
    await Promise.all(ops);
    await prices.flush();
    expect(await repo.row('sku-4')).toMatchObject({ amount: 90, deleted: false });
    expect(await prices.get('sku-4')).toEqual(price('sku-4', 90));
    expect(app.writer.delivered.get('sku-4')?.length).toBeGreaterThan(1);
    expectIncreasingVersions(app);
  });

  it('ends with the last values when two flushers race while sets continue', async () => {
    const app = await memoryApp({ flushInterval: '5ms', batchSize: 7 });
    const keys = Array.from({ length: 20 }, (_, i) => `sku-${i}`);
    const retries = collect(app, 'write-behind:retry');
    // Deliveries take a random time: overlapping ones could commit out of order.
    app.writer.before = () => sleep(Math.random() * 4);
    let writing = true;
    const flusher = async (): Promise<number> => {
      let flushes = 0;
      while (writing) {
        await app.prices.flush();
        flushes++;
        await sleep(Math.random() * 3);
      }
      return flushes;
    };
    const writes = (async () => {
      for (let round = 1; round <= 50; round++) {
        await Promise.all(keys.map((key) => app.prices.set(key, price(key, round))));
        await sleep(Math.random() * 2);
      }
      writing = false;
    })();
    const [flushesA, flushesB] = await Promise.all([flusher(), flusher(), writes]);
    expect(flushesA).toBeGreaterThan(1);
    expect(flushesB).toBeGreaterThan(1);
    await app.prices.flush();

    const rows = await readRows(servers.databaseUrl);
    for (const key of keys) {
      expect(rows.get(key), key).toMatchObject({ amount: 50, deleted: false });
      expect(rows.get(key)?.version).toBe(app.writer.delivered.get(key)?.at(-1)?.version);
    }
    expect(retries).toEqual([]);
    // The flushers took turns: one writer call at a time, each record delivered once.
    expect(app.writer.maxConcurrent).toBe(1);
    expect(app.writer.rowsWritten).toBe(app.writer.recordCount);
    expect(app.writer.calls.length).toBeGreaterThan(3);
    for (const call of app.writer.calls) expect(call.keys.length).toBeLessThanOrEqual(7);
    expectIncreasingVersions(app);
  });

  it('retries a failing record with backoff until the writer succeeds', async () => {
    const app = await memoryApp({ flushInterval: '20ms', retryBase: '10ms', maxAttempts: 3 });
    const retries = collect(app, 'write-behind:retry');
    const deadLetters = collect(app, 'write-behind:dead-letter');
    let failures = 2; // maxAttempts - 1: the last attempt succeeds
    app.writer.before = async (call) => {
      if (call.keys.includes('flaky') && failures > 0) {
        failures--;
        throw new Error('connection reset');
      }
    };
    await Promise.all([
      app.prices.set('flaky', price('flaky', 5)),
      app.prices.set('steady', price('steady', 6)),
    ]);
    await waitFor(async () => (await app.prices.pending()) === 0, 3_000, 'the queue to drain');

    expect(await app.repo.row('flaky')).toMatchObject({ amount: 5, deleted: false });
    expect(await app.repo.row('steady')).toMatchObject({ amount: 6, deleted: false });
    expect(retries.filter((r) => r.key === 'flaky').map((r) => [r.attempt, r.error.message])).toEqual([
      [1, 'connection reset'],
      [2, 'connection reset'],
    ]);
    expect(retries.every((r) => r.cache === 'prices')).toBe(true);
    expect(deadLetters).toEqual([]);
    expect(app.prices.deadLetters).toEqual([]);
    // Three attempts for flaky: the batch, then alone twice.
    const flakyCalls = app.writer.callsWith('flaky');
    expect(flakyCalls).toHaveLength(3);
    expect(flakyCalls.slice(1).every((call) => call.keys.length === 1)).toBe(true);
  });

  it('dead-letters a poison record after maxAttempts while the rest of its batches reach Postgres', async () => {
    const app = await memoryApp({ flushInterval: '10s', retryBase: '10ms', maxAttempts: 3 });
    const { prices, repo, writer } = app;
    const retries = collect(app, 'write-behind:retry');
    const deadLetters = collect(app, 'write-behind:dead-letter');
    await prices.set('poison', price('poison', 5));
    await prices.flush();
    const good = await repo.row('poison');

    // CHECK (amount >= 0) fails the whole statement: every batch holding the poison record fails.
    const others = Array.from({ length: 9 }, (_, i) => `sku-${i}`);
    await Promise.all([
      ...others.slice(0, 4).map((key) => prices.set(key, price(key, 1))),
      prices.set('poison', price('poison', -1)),
      ...others.slice(4).map((key) => prices.set(key, price(key, 2))),
    ]);
    expect(await prices.get('poison')).toEqual(price('poison', -1));
    await prices.flush();

    const rows = await readRows(servers.databaseUrl);
    for (const key of others) expect(rows.get(key), key).toMatchObject({ deleted: false });
    expect(rows.get('poison')).toEqual(good);
    expect(await prices.pending()).toBe(0);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ cache: 'prices', key: 'poison' });
    expect(deadLetters[0]?.error).toMatchObject({ code: '23514', constraint: 'prices_amount_check' });
    expect(prices.deadLetters).toHaveLength(1);
    expect(prices.deadLetters[0]).toMatchObject({ key: 'poison', value: price('poison', -1) });
    expect(prices.deadLetters[0]?.version).toBe(deadLetters[0]?.version);
    expect(prices.deadLetters[0]?.version).toBeGreaterThan(good?.version ?? Infinity);
    expect(retries.filter((r) => r.key === 'poison').map((r) => r.attempt)).toEqual([1, 2]);
    // Isolated: after the failed batch, the poison record went alone, and each other key once more.
    const poisonCalls = writer.callsWith('poison');
    expect(poisonCalls.map((call) => call.keys.length)).toEqual([1, 10, 1, 1]);
    for (const key of others) expect(writer.callsWith(key).map((call) => call.keys.length)).toEqual([10, 1]);

    // The cache no longer serves the value Postgres never got: the next read loads the row.
    expect(await prices.get('poison')).toEqual(price('poison', 5));
    expect(repo.reads).toBe(1);
  });

  it('serves a pending write past its TTL without loading, then loads the flushed row', async () => {
    // Memory only: entry ages follow a faked Date (sockets and timers stay real).
    vi.useFakeTimers({ toFake: ['Date'] });
    const app = await memoryApp({ ttl: '100ms', flushInterval: '10s' });
    await app.prices.set('sku-1', price('sku-1', 42));
    vi.advanceTimersByTime(300);
    expect(await app.stack.get('sku-1', { namespace: 'prices' })).toBeUndefined();
    expect(await app.prices.get('sku-1')).toEqual(price('sku-1', 42));
    expect(app.repo.reads).toBe(0);
    expect(await app.repo.row('sku-1')).toBeUndefined();

    await app.prices.flush();
    expect(await app.repo.row('sku-1')).toMatchObject({ amount: 42 });
    expect(await app.prices.get('sku-1')).toEqual(price('sku-1', 42));
    expect(app.repo.reads).toBe(1);
    // Cached again by the load.
    expect(await app.prices.get('sku-1')).toEqual(price('sku-1', 42));
    expect(app.repo.reads).toBe(1);
  });

  it('drains on flush() and on app close, while the DbModule pool is still open', async () => {
    const app = await memoryApp({ flushInterval: '10s' });
    for (let i = 0; i < 30; i++) await app.prices.set(`sku-${i}`, price(`sku-${i}`, i));
    await app.prices.flush();
    expect((await readRows(servers.databaseUrl)).size).toBe(30);
    expect(await app.prices.pending()).toBe(0);

    for (let i = 0; i < 30; i++) await app.prices.set(`sku-${i}`, price(`sku-${i}`, 100 + i));
    await app.prices.delete('sku-0');
    await app.prices.set('late', price('late', 7));
    expect(await app.prices.pending()).toBe(31);
    const callsBefore = app.writer.calls.length;
    await app.close();

    expect(app.pool.ended).toBe(true);
    const drained = app.writer.calls.slice(callsBefore);
    expect(drained.length).toBeGreaterThan(0);
    expect(drained.every((call) => !call.poolEnding)).toBe(true);
    const rows = await readRows(servers.databaseUrl);
    expect(rows.size).toBe(31);
    expect(rows.get('sku-0')).toMatchObject({ deleted: true });
    for (let i = 1; i < 30; i++) expect(rows.get(`sku-${i}`)).toMatchObject({ amount: 100 + i });
    expect(rows.get('late')).toMatchObject({ amount: 7, deleted: false });
  });

  it("with onFull: 'reject', rejects a new key when full and keeps coalescing pending keys", async () => {
    const app = await memoryApp({
      flushInterval: '10s',
      maxQueueLength: 5,
      onFull: 'reject',
      drainTimeout: '1s',
    });
    const { prices, writer } = app;
    const gate = new Gate();
    writer.before = () => gate.opened;
    for (let i = 1; i <= 5; i++) await prices.set(`sku-${i}`, price(`sku-${i}`, i));

    // Full while pending: a new key is rejected, a pending key coalesces.
    await expect(prices.set('sku-6', price('sku-6', 6))).rejects.toBeInstanceOf(QueueFullError);
    await prices.set('sku-1', price('sku-1', 11));

    // Full while the writer is held: same.
    const flushing = prices.flush();
    await waitFor(() => writer.calls.length === 1, 2_000, 'the writer call');
    expect(await prices.pending()).toBe(5);
    const rejection = prices.set('sku-6', price('sku-6', 6));
    await expect(rejection).rejects.toMatchObject({ code: 'E_QUEUE_FULL', cache: 'prices' });
    await expect(prices.delete('sku-7')).rejects.toBeInstanceOf(QueueFullError);
    await prices.set('sku-2', price('sku-2', 22));
    expect(await prices.get('sku-2')).toEqual(price('sku-2', 22));

    gate.open();
    await flushing;
    await prices.flush();
    const rows = await readRows(servers.databaseUrl);
    expect(rows.has('sku-6')).toBe(false);
    expect(rows.has('sku-7')).toBe(false);
    expect(rows.get('sku-1')).toMatchObject({ amount: 11 });
    expect(rows.get('sku-2')).toMatchObject({ amount: 22 });
    expect(writer.delivered.has('sku-6')).toBe(false);
    // The rejected set did not reach the cache either.
    expect(await prices.get('sku-6')).toBeUndefined();
    expect(app.repo.reads).toBe(1);
  });

  it("with onFull: 'wait', holds a new key's set until a flush makes room", async () => {
    const app = await memoryApp({
      flushInterval: '10s',
      maxQueueLength: 5,
      onFull: 'wait',
      drainTimeout: '1s',
    });
    const { prices, writer } = app;
    const gate = new Gate();
    writer.before = () => gate.opened;
    for (let i = 1; i <= 5; i++) await prices.set(`sku-${i}`, price(`sku-${i}`, i));
    const flushing = prices.flush();
    await waitFor(() => writer.calls.length === 1, 2_000, 'the writer call');

    const sixth = prices.set('sku-6', price('sku-6', 6));
    // Time for a set that was not held to go through (it only touches memory).
    await sleep(100);
    expect(await settled(sixth)).toBe(false);
    expect(await prices.get('sku-6')).toBeUndefined();

    gate.open();
    await sixth;
    await flushing;
    expect(await prices.get('sku-6')).toEqual(price('sku-6', 6));
    await prices.flush();
    expect(await app.repo.row('sku-6')).toMatchObject({ amount: 6 });
    expect((await readRows(servers.databaseUrl)).size).toBe(6);
  });

  it('gives up draining after drainTimeout and reports what was abandoned', async () => {
    const app = await memoryApp({ flushInterval: '10s', drainTimeout: '200ms' });
    const abandoned = collect(app, 'write-behind:abandoned');
    app.writer.before = () => new Promise<void>(() => undefined);
    for (let i = 0; i < 3; i++) await app.prices.set(`sku-${i}`, price(`sku-${i}`, i));

    const started = performance.now();
    await app.close();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1_000);
    expect(abandoned).toEqual([{ cache: 'prices', count: 3 }]);
    expect(app.writer.calls).toHaveLength(1);
    // The memory journal loses them (documented): nothing reached Postgres.
    expect((await readRows(servers.databaseUrl)).size).toBe(0);
  });

  it('isolates values: mutating an object after set changes neither what is written nor what is read', async () => {
    const app = await memoryApp({ flushInterval: '10s' });
    const value = { id: 'sku-1', amount: 1, tags: ['a'] };
    // Changed as soon as set returns, before its promise settles.
    const setting = app.prices.set('sku-1', value);
    value.amount = 999;
    value.tags.push('b');
    await setting;
    const pending = await app.prices.get('sku-1');
    expect(pending).toEqual({ id: 'sku-1', amount: 1, tags: ['a'] });
    if (pending) (pending as { amount: number }).amount = 500;
    expect(await app.prices.get('sku-1')).toEqual({ id: 'sku-1', amount: 1, tags: ['a'] });

    await app.prices.flush();
    expect(app.writer.delivered.get('sku-1')?.map((r) => r.amount)).toEqual([1]);
    expect(await app.repo.row('sku-1')).toMatchObject({ amount: 1 });
    const cached = await app.prices.get('sku-1');
    expect(cached).toEqual({ id: 'sku-1', amount: 1, tags: ['a'] });
    if (cached) (cached as { amount: number }).amount = 700;
    expect(await app.prices.get('sku-1')).toEqual({ id: 'sku-1', amount: 1, tags: ['a'] });
    expect(app.repo.reads).toBe(0);

    // Same for a set queued behind an earlier write of the key.
    const next = { id: 'sku-1', amount: 2, tags: [] as string[] };
    const sets = [app.prices.set('sku-1', price('sku-1', 1)), app.prices.set('sku-1', next)];
    next.amount = 998;
    await Promise.all(sets);
    expect(await app.prices.get('sku-1')).toEqual({ id: 'sku-1', amount: 2, tags: [] });
    await app.prices.flush();
    expect(await app.repo.row('sku-1')).toMatchObject({ amount: 2 });
  });
});

describe('write-behind increment (memory journal)', () => {
  it('sums concurrent increments exactly in the cache and in Postgres', async () => {
    const app = await createWriteBehindApp({
      databaseUrl: servers.databaseUrl,
      views: { flushInterval: '5ms', loader: true },
    });
    expect(app.views.journal).toBe('memory');
    const expected = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 600 }, (_, i) => {
        const key = `p${i % 4}`;
        expected.set(key, (expected.get(key) ?? 0) + (i % 3) + 1);
        return app.views.increment(key, (i % 3) + 1);
      }),
    );
    for (const [key, sum] of expected) expect(await app.views.get(key), key).toBe(sum);
    await app.views.flush();
    expect(await readCounts(servers.databaseUrl)).toEqual(expected);
    expect(await app.views.increment('p0', 1)).toBe((expected.get('p0') ?? 0) + 1);
  });

  it('never resets the database count on a miss without a loader, and refuses a non-integer', async () => {
    const app = await createWriteBehindApp({
      databaseUrl: servers.databaseUrl,
      views: { flushInterval: '10s' },
    });
    await app.pool.query("INSERT INTO views (id, count, version) VALUES ('p1', 100, 0)");
    expect(await app.views.increment('p1', 5)).toBeUndefined();
    await app.views.flush();
    expect((await readCounts(servers.databaseUrl)).get('p1')).toBe(105);
    await app.views.set('p2', 1.5);
    await expect(app.views.increment('p2', 1)).rejects.toMatchObject({ code: 'E_NOT_A_COUNTER' });
  });
});

describe("write-behind on a Redis stack (journal: 'memory')", () => {
  it("fails the boot with journal: 'redis' on a memory-only stack, naming the option", async () => {
    let caught: unknown;
    try {
      await createWriteBehindApp({ databaseUrl: servers.databaseUrl, cache: { journal: 'redis' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StrataConfigError);
    expect(caught).toMatchObject({ option: 'caches[prices].journal' });
    expect((caught as Error).message).toMatch(/needs a stack with redis/);
  });

  it('caches in Redis, reads pending writes, coalesces, and drains on close', async () => {
    const app = await createWriteBehindApp({
      databaseUrl: servers.databaseUrl,
      redisUrl: servers.redis.url,
      cache: { journal: 'memory', flushInterval: '10s', ttl: '100ms' },
    });
    expect(app.stack.l2Available).toBe(true);
    const { prices, writer } = app;
    for (let round = 1; round <= 20; round++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => prices.set(`sku-${i}`, price(`sku-${i}`, round))),
      );
    }
    await prices.delete('sku-9');
    // In Redis now (no L1 with Redis configured, so this is the shared cache).
    expect(await app.stack.get('sku-0', { namespace: 'prices' })).toEqual(price('sku-0', 20));
    expect(await app.stack.get('sku-9', { namespace: 'prices' })).toBeUndefined();

    // Past the TTL (Redis drops the key on its own clock), reads still see the pending writes,
    // without a load.
    await waitFor(
      async () => (await app.stack.get('sku-0', { namespace: 'prices' })) === undefined,
      2_000,
      'the entry to expire in Redis',
    );
    expect(await prices.get('sku-0')).toEqual(price('sku-0', 20));
    expect(await prices.get('sku-9')).toBeUndefined();
    expect(app.repo.reads).toBe(0);

    await prices.flush();
    expect(writer.recordCount).toBe(10);
    let rows = await readRows(servers.databaseUrl);
    expect(rows.get('sku-0')).toMatchObject({ amount: 20, deleted: false });
    expect(rows.get('sku-9')).toMatchObject({ deleted: true });
    expect(await prices.get('sku-1')).toEqual(price('sku-1', 20));
    expect(app.repo.reads).toBe(1);
    expect(await app.stack.get('sku-1', { namespace: 'prices' })).toEqual(price('sku-1', 20));

    await prices.set('sku-1', price('sku-1', 21));
    await prices.set('sku-10', price('sku-10', 1));
    await app.close();
    rows = await readRows(servers.databaseUrl);
    expect(rows.get('sku-1')).toMatchObject({ amount: 21 });
    expect(rows.get('sku-10')).toMatchObject({ amount: 1 });
    expect(writer.calls.every((call) => !call.poolEnding)).toBe(true);
  });
});
