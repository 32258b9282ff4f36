import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import {
  startInstances,
  useInstances,
  type InstanceHandle,
  type InstanceStrataOptions,
} from '../support/instance-process.js';
import { useRedisServer } from '../support/redis.js';

// Three Nest apps in three processes on one Redis, with L1 in front of Redis (the default with
// the invalidation bus): a change made through one instance reaches the L1 of the others.

const redis = useRedisServer();
useInstances();

/** Bus delivery, asserted with margin on a loaded CI machine (the bench measures the real figure). */
const DELIVERY_MS = 500;

let admin: Redis;
beforeAll(() => {
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
});
afterAll(() => {
  admin?.disconnect();
});

const shared = (): InstanceStrataOptions => ({
  prefix: uniquePrefix(),
  jitter: 0,
  redis: { url: redis.url },
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads through the cache until the instance's L1 holds the key (see invalidation-bus.spec.ts). */
async function inL1(instance: InstanceHandle, key: string): Promise<unknown> {
  const filled = await waitUntil(async () => {
    await instance.cacheGet(key);
    return (await instance.peek(key)) !== undefined;
  }, DELIVERY_MS);
  if (!filled) throw new Error(`${key} did not reach the L1 of ${instance.name}`);
  return instance.peek(key);
}

async function three(): Promise<[InstanceHandle, InstanceHandle, InstanceHandle]> {
  const [a, b, c] = await startInstances(3, { strata: shared() });
  if (!a || !b || !c) throw new Error('expected three instances');
  return [a, b, c];
}

describe('L1 coherence across processes (invalidation bus)', () => {
  it('an update through A is served by B and C once the bus delivers; deletes and tags likewise', async () => {
    const [a, b, c] = await three();
    await a.set('price:1', { amount: 10 });
    expect(await inL1(b, 'price:1')).toEqual({ amount: 10 });
    expect(await inL1(c, 'price:1')).toEqual({ amount: 10 });

    const changed = Date.now();
    await a.set('price:1', { amount: 12 });
    expect(await waitUntil(async () => (await b.peek('price:1')) === undefined, DELIVERY_MS)).toBe(true);
    expect(await waitUntil(async () => (await c.peek('price:1')) === undefined, DELIVERY_MS)).toBe(true);
    expect(Date.now() - changed).toBeLessThan(DELIVERY_MS);
    expect(await b.cacheGet('price:1')).toEqual({ amount: 12 });
    expect(await c.cacheGet('price:1')).toEqual({ amount: 12 });

    await c.set('tagged', 'v', { tags: ['product:7'] });
    expect(await inL1(a, 'tagged')).toBe('v');
    await b.invalidateTags(['product:7']);
    expect(await waitUntil(async () => (await a.peek('tagged')) === undefined, DELIVERY_MS)).toBe(true);
    expect(await a.cacheGet('tagged', { tags: ['product:7'] })).toBeUndefined();

    await inL1(a, 'price:1');
    await c.delete('price:1');
    expect(await waitUntil(async () => (await a.peek('price:1')) === undefined, DELIVERY_MS)).toBe(true);
    expect(await a.cacheGet('price:1')).toBeUndefined();
  });

  it('bus connections killed: every instance clears L1, then uses it again once resubscribed', async () => {
    const [a, b, c] = await three();
    await a.set('k', 'v1');
    for (const instance of [a, b, c]) expect(await inL1(instance, 'k')).toBe('v1');

    await admin.client('KILL', 'TYPE', 'pubsub');
    for (const instance of [a, b, c]) {
      expect(await waitUntil(async () => (await instance.peek('k')) === undefined, DELIVERY_MS)).toBe(true);
    }
    // Resubscribed (within the reconnection backoff): L1 is used and kept coherent again.
    for (const instance of [b, c]) expect(await inL1(instance, 'k')).toBe('v1');
    await a.set('k', 'v2');
    for (const instance of [b, c]) {
      expect(await waitUntil(async () => (await instance.peek('k')) === undefined, 2_000)).toBe(true);
      expect(await instance.cacheGet('k')).toBe('v2');
    }
  });
});
