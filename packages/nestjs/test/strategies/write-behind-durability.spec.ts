import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { RedisWriteBehindCache } from '@strata/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { sleep, waitFor } from '../support/deferred.js';
import { type Price, useCatalogServers } from './pricing.fixture.js';
import {
  closeWriteBehindApps,
  createWriteBehindApp,
  readCounts,
  readRows,
  type WriteBehindApp,
  type WriteBehindAppOptions,
} from './write-behind.fixture.js';

// Redis with an append-only file (appendfsync always): a restart keeps every acknowledged write.
const servers = useCatalogServers({ appendOnly: true });

afterEach(closeWriteBehindApps);

const price = (id: string, amount: number): Price => ({ id, amount });

const redisApp = (more: Partial<WriteBehindAppOptions> = {}) =>
  createWriteBehindApp({ databaseUrl: servers.databaseUrl, redisUrl: servers.redis.url, ...more });

const streamLength = (cache: unknown) => (cache as RedisWriteBehindCache<unknown>).streamLength();

/** Counts on the journal of `prices`, over its partitions, read with a client of the test's own. */
async function journalCounts(
  app: WriteBehindApp,
  redis: Redis,
): Promise<{ readonly waiting: number; readonly added: number }> {
  let waiting = 0;
  let added = 0;
  for (const p of (app.prices as unknown as RedisWriteBehindCache<unknown>).partitions) {
    waiting += await redis.hlen(p.pending);
    const info = (await redis.xinfo('STREAM', p.stream)) as unknown[];
    added += Number(info[info.indexOf('entries-added') + 1]);
  }
  return { waiting, added };
}

/** Resolves once every journaled write of both caches reached Postgres and left the streams. */
async function drained(app: WriteBehindApp, timeoutMs: number): Promise<void> {
  await waitFor(
    async () =>
      (await app.prices.pending()) === 0 &&
      (await app.views.pending()) === 0 &&
      (await streamLength(app.prices)) === 0 &&
      (await streamLength(app.views)) === 0,
    timeoutMs,
    'the journal to drain',
  );
}

describe('write-behind durability (Redis journal)', () => {
  it('delivers every acknowledged write of a SIGKILLed instance through another one, exactly for counters', async () => {
    const prefix = uniquePrefix();
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./child/write-behind-child.mjs', import.meta.url))],
      {
        env: {
          ...process.env,
          DATABASE_URL: servers.databaseUrl,
          REDIS_URL: servers.redis.url,
          PREFIX: prefix,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lastSet = new Map<string, number>();
    const counts = new Map<string, number>();
    let sets = 0;
    let incsDone = false;
    let stderr = '';
    let buffer = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, key = '', number = '0'] = line.split(' ');
        if (kind === 'inc') counts.set(key, (counts.get(key) ?? 0) + Number(number));
        else if (kind === 'incs-done') incsDone = true;
        else if (kind === 'set') {
          sets++;
          lastSet.set(key, Math.max(lastSet.get(key) ?? 0, Number(number)));
        }
      }
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(() => incsDone && sets >= 1_500, 30_000, `the child's burst (stderr: ${stderr})`);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }

    // A second instance on the same journal claims what the dead one held and flushes it all.
    const app = await redisApp({
      prefix,
      cache: { flushInterval: '20ms', claimIdle: '300ms' },
      views: { flushInterval: '20ms', claimIdle: '300ms' },
    });
    await drained(app, 20_000);

    expect(await readCounts(servers.databaseUrl)).toEqual(counts);
    const rows = await readRows(servers.databaseUrl);
    expect(lastSet.size).toBe(100);
    for (const [key, acknowledged] of lastSet) {
      const row = rows.get(key);
      // The acknowledged value, or a newer one journaled just before the kill: never older.
      expect(row?.amount, key).toBeGreaterThanOrEqual(acknowledged);
      expect((row?.amount ?? 0) % 1_000, key).toBe(acknowledged % 1_000);
      expect(row?.amount, key).toBeLessThanOrEqual(acknowledged + 1_000);
    }
    // The second instance did deliver (the child left work behind).
    expect(app.writer.recordCount + app.views.deadLetters.length).toBeGreaterThan(0);
  });

  it('loses nothing when Redis is killed and restarted (AOF) while flushing, and keeps newer fallback writes', async () => {
    const app = await redisApp({ cache: { flushInterval: '10ms', batchSize: 10 } });
    app.writer.before = () => sleep(15); // slow enough that writes are pending at the kill
    const keys = Array.from({ length: 50 }, (_, i) => `sku-${i}`);
    for (let round = 1; round <= 5; round++) {
      await Promise.all(keys.map((key, i) => app.prices.set(key, price(key, round * 1_000 + i))));
    }
    expect(await app.prices.pending()).toBeGreaterThan(0);
    await servers.redis.kill();
    try {
      // Redis down: these go straight to Postgres, with versions above the journaled ones.
      await Promise.all(keys.slice(0, 10).map((key, i) => app.prices.set(key, price(key, 6_000 + i))));
    } finally {
      await servers.redis.restart();
    }
    await waitFor(() => app.stack.l2Available, 8_000, 'Redis to be used again');
    await waitFor(async () => (await app.prices.pending()) === 0, 15_000, 'the journal to drain');

    const rows = await readRows(servers.databaseUrl);
    keys.forEach((key, i) => {
      const expected = i < 10 ? 6_000 + i : 5_000 + i;
      expect(rows.get(key), key).toMatchObject({ amount: expected, deleted: false });
    });
    // Reads agree with Postgres: no older journal record resurfaces.
    for (const [i, key] of keys.entries()) {
      expect(await app.prices.get(key)).toEqual(price(key, i < 10 ? 6_000 + i : 5_000 + i));
    }
  });

  it('keeps the stream bounded while 10,000 writes flow through it and are flushed', async () => {
    const app = await redisApp({ cache: { flushInterval: '10ms', batchSize: 1_000 } });
    const redis = new Redis(servers.redis.url);
    const keys = Array.from({ length: 200 }, (_, i) => `sku-${i}`);
    // A key has a stream record only for its write in flight and for its pending write (later
    // writes of a pending key coalesce into its record), and a delivered record is acknowledged
    // and deleted with its delivery: the stream never holds more than two records per key.
    const bound = 2 * keys.length;
    const rounds = 50;
    let longest = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        await Promise.all(keys.map((key, i) => app.prices.set(key, price(key, round * 10_000 + i))));
        longest = Math.max(longest, await streamLength(app.prices));
        // Taken for delivery (not yet delivered): the next round's writes each get a record of their
        // own while these are delivered, so none coalesces and the stream carries every write.
        await waitFor(async () => (await journalCounts(app, redis)).waiting === 0, 10_000, 'the flusher');
      }
      await app.prices.flush();
      expect(await streamLength(app.prices)).toBe(0);
      expect(await app.prices.pending()).toBe(0);
      // Flushed records leave the stream as they are acknowledged, not at the end: it carried 25
      // times what it may hold at once. Each write costs an append and a delivery of its own, so
      // the count is kept to what proves that.
      expect((await journalCounts(app, redis)).added).toBe(rounds * keys.length);
      expect(longest).toBeLessThanOrEqual(bound);
    } finally {
      redis.disconnect();
    }
    const rows = await readRows(servers.databaseUrl);
    keys.forEach((key, i) => expect(rows.get(key)?.amount, key).toBe((rounds - 1) * 10_000 + i));
  });
});
