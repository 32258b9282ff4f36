import {
  startRedisCluster,
  startRedisSentinel,
  type RedisCluster,
  type RedisSentinel,
} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import {
  startInstances,
  useInstances,
  type InstanceHandle,
  type InstanceStrataOptions,
  type LoadedValue,
} from '../support/instance-process.js';

// Two Nest apps in two processes on a Redis Cluster, then on Redis Sentinel: the primary dies
// mid-traffic; both keep answering (from L1, Redis or the loader: never an error), and once the
// failover is over they share entries and invalidations again.

useInstances();

const KEYS = Array.from({ length: 12 }, (_, i) => `product:${i}`);

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Calls every key on both instances until `done` resolves; returns how many calls answered. */
async function trafficUntil(instances: readonly InstanceHandle[], done: Promise<unknown>): Promise<number> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  let answered = 0;
  while (!finished) {
    for (const instance of instances) {
      const values = await Promise.all(KEYS.map((key) => instance.get<LoadedValue>(key)));
      expect(values.every((value) => value.key !== undefined)).toBe(true);
      answered += values.length;
    }
  }
  return answered;
}

/**
 * After the failover: A's write reaches B's L1 through the bus and Redis again.
 *
 * Each step waits for the announcement of A's write to have reached B before B reads the key. On
 * a Cluster, A's `PUBLISH` is answered before the nodes forward it to subscribers on other nodes,
 * so B can read A's new value from Redis before the announcement of that same write arrives; the
 * late announcement then drops (or keeps out) B's fresh copy, at the cost of one more Redis read.
 */
async function coherentAgain(a: InstanceHandle, b: InstanceHandle): Promise<void> {
  const settled = async (instance: InstanceHandle): Promise<boolean> => {
    const stats = await instance.stats();
    return stats.l2Available && stats.busConnected === true;
  };
  expect(await waitUntil(async () => (await settled(a)) && (await settled(b)), 15_000)).toBe(true);
  await b.set('after', 'v0');
  expect(await b.peek<string>('after')).toBe('v0');
  await a.set('after', 'v1');
  expect(await waitUntil(async () => (await b.peek('after')) === undefined, 2_000)).toBe(true);
  expect(await b.cacheGet<string>('after')).toBe('v1');
  expect(await b.peek<string>('after')).toBe('v1');
  await a.set('after', 'v2');
  expect(await waitUntil(async () => (await b.peek('after')) === undefined, 2_000)).toBe(true);
  expect(await b.cacheGet('after')).toBe('v2');
}

describe('a Redis Cluster primary killed under two app processes', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.dispose();
  });

  it('both keep answering through the failover, then share entries and invalidations again', async () => {
    const strata: InstanceStrataOptions = {
      prefix: uniquePrefix(),
      jitter: 0,
      redis: { cluster: { nodes: cluster.nodes }, commandTimeout: '500ms' },
      breaker: { breakDuration: '200ms' },
    };
    const [a, b] = await startInstances(2, { strata });
    if (!a || !b) throw new Error('expected two instances');
    for (const key of KEYS) await a.get(key);

    const victim = (await cluster.primaries())[0];
    if (victim === undefined) throw new Error('no primary');
    const answered = await trafficUntil([a, b], cluster.failover(victim));
    expect(answered).toBeGreaterThan(0);
    await coherentAgain(a, b);
    await victim.restart();
  });
});

describe('a Sentinel-monitored primary killed under two app processes', () => {
  let sentinel: RedisSentinel;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  });
  afterAll(async () => {
    await sentinel?.dispose();
  });

  it('both keep answering through the failover, then share entries and invalidations again', async () => {
    const strata: InstanceStrataOptions = {
      prefix: uniquePrefix(),
      jitter: 0,
      redis: { sentinel: { sentinels: sentinel.sentinels, name: sentinel.name }, commandTimeout: '500ms' },
      breaker: { breakDuration: '200ms' },
    };
    const [a, b] = await startInstances(2, { strata });
    if (!a || !b) throw new Error('expected two instances');
    for (const key of KEYS) await a.get(key);

    const answered = await trafficUntil([a, b], sentinel.failover());
    expect(answered).toBeGreaterThan(0);
    await coherentAgain(a, b);
  });
});
