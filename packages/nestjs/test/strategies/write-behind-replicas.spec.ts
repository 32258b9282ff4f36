import 'reflect-metadata';
import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/deferred.js';
import { type Price, useCatalogServers } from './pricing.fixture.js';
import {
  closeWriteBehindApps,
  createWriteBehindApp,
  readCounts,
  type WriteBehindOptions,
} from './write-behind.fixture.js';

const servers = useCatalogServers();
let replica: RedisServer | undefined;

beforeAll(async () => {
  replica = await startRedis({ replicaOf: { host: servers.redis.host, port: servers.redis.port } });
  await waitForReplicaLink();
});
afterAll(async () => {
  await replica?.dispose();
});
afterEach(closeWriteBehindApps);

const price = (id: string, amount: number): Price => ({ id, amount });
const REPLICAS = { count: 1, timeout: '300ms' } as const;

/** The replica's view of a journal hash field (what a failover would keep). */
async function onReplica(hash: string, field: string): Promise<string | null> {
  const redis = new Redis((replica as RedisServer).url);
  try {
    return await redis.hget(hash, field);
  } finally {
    redis.disconnect();
  }
}

/** Until the primary counts one replica that is connected and in sync. */
async function waitForReplicaLink(): Promise<void> {
  const primary = new Redis(servers.redis.url);
  try {
    await waitFor(
      async () => /connected_slaves:1\b[\s\S]*state=online/.test(await primary.info('replication')),
      10_000,
      'the replica to connect',
    );
    // "online" on the primary can come before the replica applies the stream (it may still be
    // loading the snapshot): wait until a write is confirmed by WAIT, as the tests' writes are.
    await waitFor(
      async () => {
        await primary.set('replica-probe', String(Date.now()));
        return Number(await primary.call('WAIT', '1', '500')) >= 1;
      },
      10_000,
      'the replica to acknowledge a write',
    );
  } finally {
    primary.disconnect();
  }
}

const replicatedApp = (cache: WriteBehindOptions = {}) =>
  createWriteBehindApp({
    databaseUrl: servers.databaseUrl,
    redisUrl: servers.redis.url,
    cache: { flushInterval: '10s', replicas: REPLICAS, ...cache },
    views: { flushInterval: '10s', replicas: REPLICAS },
  });

describe('write-behind with replicas: WAIT after each append', () => {
  it('acknowledges a write once the replica has it, without persisting it synchronously', async () => {
    const app = await replicatedApp();
    await app.prices.set('sku-1', price('sku-1', 5));
    const pending = (app.prices as unknown as { partitions: { pending: string }[] }).partitions[0]?.pending;
    // Confirmed by WAIT: the replica holds the pending record as soon as set() returned.
    expect(await onReplica(pending ?? '', 'sku-1')).toMatch(/^\d+\|s\|/);
    expect(await app.repo.row('sku-1')).toBeUndefined(); // still write-behind
    await app.prices.flush();
    expect(await app.repo.row('sku-1')).toMatchObject({ amount: 5 });
  });

  it('persists sets and deletes synchronously while no replica confirms, never increments twice, and stops once it is back', async () => {
    const app = await replicatedApp();
    await app.pool.query("INSERT INTO views (id, count, version) VALUES ('p1', 100, 0)");
    const link = replica as RedisServer;
    await link.kill();
    try {
      const started = Date.now();
      await app.prices.set('sku-1', price('sku-1', 7));
      expect(Date.now() - started).toBeGreaterThanOrEqual(250); // waited for the WAIT timeout
      expect(await app.repo.row('sku-1')).toMatchObject({ amount: 7 }); // persisted before set() returned
      await app.prices.delete('sku-2');
      expect(await app.repo.row('sku-2')).toMatchObject({ deleted: true });
      await app.views.increment('p1', 3);
      expect((await readCounts(servers.databaseUrl)).get('p1')).toBe(100); // journaled only

      // Cache reads use the stack's connection: they never queue behind a pending WAIT.
      let setReturned = false;
      const slowSet = app.prices.set('sku-3', price('sku-3', 1)).then(() => {
        setReturned = true;
      });
      expect(await app.prices.get('sku-1')).toEqual(price('sku-1', 7));
      // Answered while the set still waits for its WAIT timeout.
      expect(setReturned).toBe(false);
      await slowSet;
    } finally {
      await link.restart();
    }
    await waitForReplicaLink();
    // The journal still delivers everything; versioned writes make the repeats no-ops.
    await app.prices.flush();
    await app.views.flush();
    expect(await app.repo.row('sku-1')).toMatchObject({ amount: 7 });
    expect((await readCounts(servers.databaseUrl)).get('p1')).toBe(103);

    await app.prices.set('sku-4', price('sku-4', 9));
    expect(await app.repo.row('sku-4')).toBeUndefined(); // confirmed again: write-behind
  });
});
