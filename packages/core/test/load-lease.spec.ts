import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { appInstances } from './instances.support.js';
import { countingLoader, deferred, type Deferred, sleep } from './support.js';
import { engineOf } from '../src/internal.js';

describe('cross-instance single-flight (Redis lease)', () => {
  let server: RedisServer;
  let admin: Redis;
  const open: CacheStack[] = [];

  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });

  afterAll(async () => {
    admin?.disconnect();
    await server?.dispose();
  });

  const instances = (count: number, options: CacheStackOptions = {}): Promise<CacheStack[]> =>
    appInstances(server.url, count, open, options);

  const at = (stacks: CacheStack[], index: number): CacheStack => {
    const stack = stacks[index % stacks.length];
    if (stack === undefined) throw new Error('no stack');
    return stack;
  };

  /** Resolves once each of `stacks` has missed `key` (it then goes on to the lease, or loads). */
  const missedBy = (stacks: CacheStack[], key: string): Promise<void> => {
    const all: Deferred<void> = deferred();
    const missed = new Set<CacheStack>();
    for (const stack of stacks) {
      stack.events.on('miss', (event) => {
        if (event.key !== engineOf(stack).keys.entry(key)) return;
        missed.add(stack);
        if (missed.size === stacks.length) all.resolve();
      });
    }
    return all.promise;
  };

  it('200 concurrent cold calls spread over 3 instances run the loader once, and the lease is released', async () => {
    const stacks = await instances(3);
    // The load is held until every instance has missed: all of them contend for the one lease.
    const allMissed = missedBy(stacks, 'product:42');
    const loader = countingLoader(async (call) => {
      await allMissed;
      return { product: 42, call };
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => at(stacks, i).getOrLoad('product:42', loader.load)),
    );
    expect(loader.calls()).toBe(1);
    expect(results.every((result) => result.call === 1)).toBe(true);
    const leaseKey = `${engineOf(at(stacks, 0)).options.prefix}:~lease:${engineOf(at(stacks, 0)).keys.entry('product:42')}`;
    expect(await admin.exists(leaseKey)).toBe(0);
  });

  it('without leases, each instance loads (the baseline the lease improves on)', async () => {
    const stacks = await instances(3, { lease: false });
    const allMissed = missedBy(stacks, 'k');
    const loader = countingLoader(async () => {
      await allMissed;
      return 'v';
    });
    await Promise.all(Array.from({ length: 30 }, (_, i) => at(stacks, i).getOrLoad('k', loader.load)));
    expect(loader.calls()).toBe(3);
  });

  it('a lease whose holder died (never released): another instance loads once it expires', async () => {
    const [stack] = await instances(1, { lease: { ttl: '300ms' } });
    if (stack === undefined) throw new Error('one stack expected');
    // What a crashed holder leaves behind: a lease with its expiry, and no value.
    const leaseKey = `${engineOf(stack).options.prefix}:~lease:${engineOf(stack).keys.entry('k')}`;
    expect(await admin.set(leaseKey, 'crashed-holder', 'PX', 300, 'NX')).toBe('OK');
    const loader = countingLoader(() => 'loaded after expiry');
    const started = Date.now();
    expect(await stack.getOrLoad('k', loader.load)).toBe('loaded after expiry');
    const waited = Date.now() - started;
    expect(loader.calls()).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2_000);
  });

  it('a holder slower than its lease renews it: the others wait for its value instead of loading', async () => {
    const stacks = await instances(4, { lease: { ttl: '200ms' } });
    const holding = deferred();
    const loader = countingLoader(async (call) => {
      holding.resolve();
      // Real time on purpose: the load outlives its lease's TTL, which only renewals cover.
      await sleep(500);
      return call;
    });
    const first = at(stacks, 0).getOrLoad('slow', loader.load);
    await holding.promise; // the first instance holds the lease (its loader runs under it)
    const others = [1, 2, 3].map((index) => at(stacks, index).getOrLoad('slow', loader.load));
    await Promise.all([first, ...others]);
    expect(loader.calls()).toBe(1);
  });

  it("the holder's loader throws: its callers get the error, a waiting instance loads itself", async () => {
    const [a, b] = await instances(2);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    const bMissed = missedBy([b], 'k');
    const holding = deferred();
    const failing = a.getOrLoad('k', async () => {
      holding.resolve();
      await bMissed;
      throw new Error('database down for A');
    });
    await holding.promise; // A holds the lease
    const loader = countingLoader(() => 'from B');
    const waiting = b.getOrLoad('k', loader.load);
    await expect(failing).rejects.toThrow('database down for A');
    expect(await waiting).toBe('from B');
    expect(loader.calls()).toBe(1);
  });

  it('a value the holder does not cache: waiters load themselves, one at a time', async () => {
    const [a, b] = await instances(2);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    const bMissed = missedBy([b], 'k');
    const holding = deferred();
    const first = a.getOrLoad('k', async () => {
      holding.resolve();
      await bMissed;
      return undefined; // "do not cache"
    });
    await holding.promise; // A holds the lease
    const loader = countingLoader(() => 'b');
    const second = b.getOrLoad('k', loader.load);
    expect(await first).toBeUndefined();
    expect(await second).toBe('b');
    expect(loader.calls()).toBe(1);
  });
});
