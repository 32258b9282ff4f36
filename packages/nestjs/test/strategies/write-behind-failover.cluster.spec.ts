import 'reflect-metadata';
import type { RedisWriteBehindCache } from '@strata/core/internal';
import { startPostgres, type PostgresServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useRedisCluster } from '../support/redis.js';
import { createSchema, type Price } from './pricing.fixture.js';
import { closeWriteBehindApps, createWriteBehindApp, readRows } from './write-behind.fixture.js';

// Write-behind with the Redis journal on a Redis Cluster whose primary is killed mid-traffic.
// A journal record reaches the replica asynchronously: what was acknowledged before the crash
// and replicated survives the failover; a write acknowledged within the replication lag before
// the crash may be lost (the documented window, docs/strategies.md). Writes made while the
// partition's slots have no primary fall back to a synchronous write-through.

const redis = useRedisCluster();
let postgres: PostgresServer;

beforeAll(async () => {
  postgres = await startPostgres();
});
afterEach(closeWriteBehindApps);
afterAll(async () => {
  await postgres?.dispose();
});

const price = (id: string, amount: number): Price => ({ id, amount });
const KEYS = Array.from({ length: 48 }, (_, i) => `sku-${i}`);

describe('write-behind on a Redis Cluster during a primary failover', () => {
  it('acknowledged writes reach Postgres: replicated journal records survive, writes during the failover are written through', async () => {
    const databaseUrl = await postgres.createDatabase();
    await createSchema(databaseUrl);
    const app = await createWriteBehindApp({
      databaseUrl,
      redisClient: redis.client,
      // No flush before close: records wait in the journal, and are read from it (from the
      // successor, for the dead primary's partition) only by the final drain.
      cache: { flushInterval: '1h' },
    });
    const journal = app.prices as unknown as RedisWriteBehindCache<Price>;
    let fellBack = 0;
    app.stack.events.on('l2:error', ({ operation }) => {
      if (operation === 'journal') fellBack++;
    });
    const acknowledged = new Map<string, number>();
    // Each phase writes keys of its own: a later phase cannot hide an earlier one's loss.
    const writeAll = async (phase: string, amount: number): Promise<void> => {
      await Promise.all(
        KEYS.map(async (key) => {
          await app.prices.set(`${phase}-${key}`, price(`${phase}-${key}`, amount));
          acknowledged.set(`${phase}-${key}`, amount);
        }),
      );
    };

    // Phase 1: journaled (two writes per key, coalesced), not flushed, and replicated.
    await writeAll('before', 1);
    await writeAll('before', 2);
    expect(await readRows(databaseUrl)).toEqual(new Map());
    const partition = journal.partitions.find((p) =>
      journal.cacheKey(`before-${KEYS[0] ?? ''}`).startsWith(`${p.tag}:`),
    );
    if (partition === undefined) throw new Error('no partition for the key');
    const victim = await redis.cluster.primaryFor(partition.stream);
    // Replicated: the replica acknowledged a write made after the records (one ordered stream).
    const probe = new Redis(victim.url);
    try {
      await probe.set(`${partition.tag}:replicated`, '1');
      expect(await probe.wait(1, 5_000)).toBe(1);
    } finally {
      probe.disconnect();
    }

    // The primary of that partition dies; nothing is in flight at that moment.
    await victim.kill();
    const failover = redis.cluster.failover(victim);

    // Phase 2: while its slots have no primary. Every write resolves (journaled or written through).
    await writeAll('during', 3);
    const successor = await failover;
    expect(successor.port).not.toBe(victim.port);
    expect(fellBack).toBeGreaterThan(0);
    // The dead primary's partition is on its successor, phase 1's records included.
    expect(await redis.client.xlen(partition.stream)).toBeGreaterThan(0);

    // Phase 3: after the failover, the journal takes writes again.
    await writeAll('after', 4);
    await app.close(); // drains the journal within the shutdown timeout
    const rows = await readRows(databaseUrl);
    expect(rows.size).toBe(acknowledged.size);
    for (const [key, amount] of acknowledged) expect(rows.get(key)?.amount, key).toBe(amount);
    await victim.restart();
  });
});
