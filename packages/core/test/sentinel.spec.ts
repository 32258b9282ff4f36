import { startRedisSentinel, type RedisSentinel } from '@strata/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack } from '../src/index.js';
import { CACHE_MISS } from '../src/internal.js';
import { countingLoader, eventually, uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

describe('CacheStack on Redis Sentinel (redis.sentinel)', () => {
  let sentinel: RedisSentinel;
  const open: CacheStack[] = [];

  beforeAll(async () => {
    sentinel = await startRedisSentinel({ downAfterMs: 1_000 });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });

  afterAll(async () => {
    await sentinel?.dispose();
  });

  async function instance(prefix: string): Promise<CacheStack> {
    const stack = new CacheStack({
      prefix,
      jitter: 0,
      redis: {
        sentinel: { sentinels: sentinel.sentinels, name: sentinel.name },
        commandTimeout: '200ms',
      },
      breaker: { breakDuration: '200ms' },
    });
    open.push(stack);
    expect(await stack.connect()).toBe(true);
    return stack;
  }

  it('caches through the primary the sentinels name, keeps answering through a failover, and caches again after', async () => {
    const prefix = uniquePrefix();
    const a = await instance(prefix);
    const b = await instance(prefix);
    const loader = countingLoader((call) => `v${call}`);
    expect(await a.getOrLoad('k', loader.load)).toBe('v1');
    expect(await b.getOrLoad('k', loader.load)).toBe('v1'); // from Redis, through the sentinel-found primary
    expect(loader.calls()).toBe(1);

    const failover = sentinel.failover();
    // While the primary is dead and until the new one is connected, calls answer (from L1 or the loader).
    const during: unknown[] = [];
    let done = false;
    void failover.finally(() => {
      done = true;
    });
    while (!done) {
      during.push(await b.getOrLoad(`during:${during.length % 5}`, loader.load));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await failover;
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((value) => typeof value === 'string')).toBe(true);

    // Both instances reach the new primary and share entries and invalidations again.
    expect(await eventually(() => a.l2Available && b.l2Available, 10_000, 50)).toBe(true);
    expect(
      await eventually(
        () => engineOf(a).bus?.connected === true && engineOf(b).bus?.connected === true,
        10_000,
        50,
      ),
    ).toBe(true);
    await a.set('after', 'from a');
    expect(await b.get('after')).toBe('from a');
    await b.get('after');
    await a.set('after', 'changed by a');
    expect(await eventually(() => b.peek('after') === CACHE_MISS, 1_000, 5)).toBe(true);
    expect(await b.get('after')).toBe('changed by a');
  });
});
