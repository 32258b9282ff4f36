import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { CACHE_MISS } from '../src/internal.js';
import { appInstances } from './instances.support.js';
import { countingLoader, eventually, uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

/** Bus delivery on a loaded CI machine: asserted with margin (the bench measures the real figure). */
const DELIVERY_MS = 500;

describe('invalidation bus (L1 coherence across instances)', () => {
  let server: RedisServer;
  let admin: Redis;
  let serverDown = false;
  const open: CacheStack[] = [];

  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined); // tests kill the server
  });

  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(open.splice(0).map((stack) => stack.close()));
    if (serverDown) {
      await server.restart();
      serverDown = false;
    }
  });

  afterAll(async () => {
    admin?.disconnect();
    await server?.dispose();
  });

  /** Stacks of one app (same prefix), each connected with its bus subscribed. */
  async function instances(count: number, options: CacheStackOptions = {}): Promise<CacheStack[]> {
    const stacks = await appInstances(server.url, count, open, options);
    for (const stack of stacks) expect(engineOf(stack).bus?.connected).toBe(true);
    return stacks;
  }

  /**
   * Reads `key` on `stack` until L1 holds it. A read right after another instance's write may
   * not fill L1: if that write's bus message arrives while the read is in flight, the read's
   * result is refused (it could predate the write), and the next read fills L1.
   */
  async function inL1(stack: CacheStack, key: string, namespace?: string): Promise<unknown> {
    const filled = await eventually(
      async () => {
        await stack.get(key, { namespace });
        return stack.peek(key, namespace) !== CACHE_MISS;
      },
      DELIVERY_MS,
      5,
    );
    if (!filled) throw new Error(`${key} did not reach L1`);
    return stack.peek(key, namespace);
  }

  let markers = 0;
  /**
   * Resolves once `receiver` has handled every bus message published before the call: `sender`
   * then changes a marker `receiver` holds in L1, and Redis delivers a channel's messages to a
   * subscriber in the order they were published.
   */
  async function busCaughtUp(sender: CacheStack, receiver: CacheStack): Promise<void> {
    const marker = `marker-${++markers}`;
    await sender.set(marker, 1);
    await inL1(receiver, marker);
    await sender.set(marker, 2);
    expect(await eventually(() => receiver.peek(marker) === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
  }

  /** Runs `body` with `Date` faked (sockets and timers stay real): L1 lifetimes follow it. */
  async function withFakeDate(body: () => Promise<void>): Promise<void> {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      await body();
    } finally {
      vi.useRealTimers();
    }
  }

  function pair(stacks: CacheStack[]): [CacheStack, CacheStack] {
    const [a, b] = stacks;
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    return [a, b];
  }

  it('puts L1 in front of Redis by default, and a set on one instance reaches the L1 of the others', async () => {
    const [a, b, c] = await instances(3);
    if (a === undefined || b === undefined || c === undefined) throw new Error('three stacks expected');
    expect([engineOf(a).l1, engineOf(b).l1, engineOf(c).l1].every((l1) => l1 !== undefined)).toBe(true);
    await a.set('product:1', { price: 10 });
    // B and C take the entry from Redis into their L1.
    expect(await inL1(b, 'product:1')).toStrictEqual({ price: 10 });
    expect(await inL1(c, 'product:1')).toStrictEqual({ price: 10 });

    await a.set('product:1', { price: 12 });
    expect(await eventually(() => b.peek('product:1') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await eventually(() => c.peek('product:1') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get('product:1')).toStrictEqual({ price: 12 });
    expect(await c.get('product:1')).toStrictEqual({ price: 12 });
  });

  it('carries deletes, tag and namespace invalidations; the sender keeps its own L1 entries', async () => {
    const [a, b] = pair(await instances(2));
    await a.set('k1', 'one', { tags: ['product:1'] });
    await a.set('k2', 'two', { namespace: 'catalog' });
    await a.set('k3', 'three');
    expect(await inL1(b, 'k1')).toBe('one');
    expect(await inL1(b, 'k2', 'catalog')).toBe('two');
    expect(await inL1(b, 'k3')).toBe('three');

    await a.invalidateTags(['product:1']);
    await a.invalidateNamespace('catalog');
    await a.delete('k3');
    expect(await eventually(() => b.peek('k1') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await eventually(() => b.peek('k2', 'catalog') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await eventually(() => b.peek('k3') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get('k1', { tags: ['product:1'] })).toBeUndefined();
    expect(await b.get('k2', { namespace: 'catalog' })).toBeUndefined();
    expect(await b.get('k3')).toBeUndefined();

    // The other direction, and the sender's own L1: B's set does not evict B's entry.
    await b.set('k4', 'from b');
    await busCaughtUp(a, b); // B's own message came back to it (and was skipped)
    expect(b.peek('k4')).toBe('from b');
  });

  it('an instance without L1 still announces its writes to instances with L1', async () => {
    const prefix = uniquePrefix();
    const reader = new CacheStack({ prefix, redis: { url: server.url } });
    const writer = new CacheStack({ prefix, l1: false, redis: { url: server.url } });
    open.push(reader, writer);
    await Promise.all([reader.connect(), writer.connect()]);
    expect(engineOf(writer).l1).toBeUndefined();
    await writer.set('k', 1);
    expect(await inL1(reader, 'k')).toBe(1);
    await writer.set('k', 2);
    expect(await eventually(() => reader.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await reader.get('k')).toBe(2);
  });

  it('ignores messages it cannot read on its channel', async () => {
    const [a, b] = pair(await instances(2, { prefix: 'busgarbage' }));
    await a.set('k', 'v');
    await admin.publish('busgarbage:bus', 'not json');
    await admin.publish('busgarbage:bus', JSON.stringify({ s: 1, k: 'k' }));
    await busCaughtUp(b, a);
    expect(a.peek('k')).toBe('v');
  });

  it('clears L1 when the bus connection drops, keeps entries short-lived until it is back, then uses L1 again', async () => {
    const [a, b] = pair(await instances(2, { bus: { outageTtl: '300ms' } }));
    const states: boolean[] = [];
    b.events.on('bus:state', ({ connected }) => states.push(connected));
    await a.set('k', 'v1');
    expect(await inL1(b, 'k')).toBe('v1');

    // Only the subscribed connections go: Redis itself keeps serving.
    await admin.client('KILL', 'TYPE', 'pubsub');
    expect(await eventually(() => states.includes(false), DELIVERY_MS, 5)).toBe(true);
    expect(b.peek('k')).toBe(CACHE_MISS);

    // While down (or just back), a loaded value is cached in L1 for at most outageTtl.
    expect(await eventually(() => states.includes(true), 5_000, 5)).toBe(true);
    expect(engineOf(b).bus?.connected).toBe(true);
    await a.set('k', 'v2');
    expect(await inL1(b, 'k')).toBe('v2');
    await a.set('k', 'v3');
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
  });

  it('with Redis killed: L1 cleared, loads cached at most outageTtl; after the restart L1 holds entries again', async () => {
    const [stack] = await instances(1, { bus: { outageTtl: '200ms' }, redis: { commandTimeout: '200ms' } });
    if (stack === undefined) throw new Error('one stack expected');
    await stack.set('before', 'cached');
    expect(stack.peek('before')).toBe('cached');

    await server.kill();
    serverDown = true;
    expect(await eventually(() => engineOf(stack).bus?.connected === false, 2_000, 5)).toBe(true);
    expect(stack.peek('before')).toBe(CACHE_MISS);

    const loader = countingLoader((call) => `loaded ${call}`);
    await withFakeDate(async () => {
      expect(await stack.getOrLoad('during', loader.load)).toBe('loaded 1');
      expect(await stack.getOrLoad('during', loader.load)).toBe('loaded 1'); // L1, short-lived
      vi.advanceTimersByTime(300);
      expect(await stack.getOrLoad('during', loader.load)).toBe('loaded 2'); // past outageTtl
    });

    await server.restart();
    serverDown = false;
    expect(await eventually(() => engineOf(stack).bus?.connected === true, 5_000, 10)).toBe(true);
    // A set that cannot reach Redis is kept in L1 only as long as during an outage.
    expect(await eventually(() => stack.l2Available, 5_000, 10)).toBe(true);
    await withFakeDate(async () => {
      await stack.set('after', 'cached again');
      vi.advanceTimersByTime(300);
      expect(stack.peek('after')).toBe('cached again');
    });
  });

  it('with outageTtl 0, L1 is not used while the bus is down', async () => {
    const [stack] = await instances(1, { bus: { outageTtl: 0 }, redis: { commandTimeout: '200ms' } });
    if (stack === undefined) throw new Error('one stack expected');
    await server.kill();
    serverDown = true;
    expect(await eventually(() => engineOf(stack).bus?.connected === false, 2_000, 5)).toBe(true);
    const loader = countingLoader((call) => call);
    expect(await stack.getOrLoad('k', loader.load)).toBe(1);
    expect(await stack.getOrLoad('k', loader.load)).toBe(2);
    expect(stack.peek('k')).toBe(CACHE_MISS);
  });
});
