import { describe, expect, it } from 'vitest';
import { CacheStack } from '../src/index.js';
import { CACHE_MISS, confirmInvalidation, engineOf, InvalidationUnconfirmedError } from '../src/internal.js';
import { appInstances } from './instances.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { countingLoader, deferred, eventually } from './support.js';

/** Bus delivery between instances on one machine, asserted with margin. */
const DELIVERY_MS = 1_000;

/**
 * `confirmInvalidation`: what a change-stream consumer calls before it confirms its position. It
 * resolves only once Redis stored the invalidation and the bus published it, and throws when
 * either did not happen, where `delete` and `invalidateTags` resolve anyway and replay later.
 */
describe('confirmInvalidation (Redis and bus acknowledged, or a typed error)', () => {
  const redis = useRedisStacks();

  /** Two instances with L1 and a third reading Redis only, all of one app. */
  async function instances(): Promise<{ a: CacheStack; b: CacheStack; redisOnly: CacheStack }> {
    const [a, b] = await appInstances(redis.url, 2, redis.open);
    const redisOnly = new CacheStack({
      prefix: engineOf(a!).options.prefix,
      l1: false,
      redis: { url: redis.url },
    });
    redis.open.push(redisOnly);
    expect(await redisOnly.connect()).toBe(true);
    return { a: a!, b: b!, redisOnly };
  }

  /** `b` holds `key` in L1, read from what `a` stored. */
  async function heldBy(
    a: CacheStack,
    b: CacheStack,
    key: string,
    options: { tags?: string[]; namespace?: string } = {},
  ) {
    await a.set(key, `value of ${key}`, options);
    const held = await eventually(
      async () => {
        await b.get(key, options);
        return b.peek(key, options.namespace) !== CACHE_MISS;
      },
      DELIVERY_MS,
      5,
    );
    expect(held).toBe(true);
  }

  it('keys, tags and namespaces are gone from Redis when it resolves, and from the other instance L1 soon after', async () => {
    const { a, b, redisOnly } = await instances();
    await heldBy(a, b, 'by-key');
    await heldBy(a, b, 'in-ns', { namespace: 'catalog' });
    await heldBy(a, b, 'tagged', { tags: ['product:1'] });
    await heldBy(a, b, 'untouched', { tags: ['product:2'] });

    await confirmInvalidation(a, {
      keys: [{ key: 'by-key' }, { key: 'by-key' }],
      tags: ['product:1'],
      namespaces: ['catalog'],
    });

    expect(await redisOnly.get('by-key')).toBeUndefined();
    expect(await redisOnly.get('in-ns', { namespace: 'catalog' })).toBeUndefined();
    expect(await redisOnly.get('tagged')).toBeUndefined();
    expect(a.peek('by-key')).toBe(CACHE_MISS);
    const dropped = await eventually(
      () =>
        ['by-key', 'tagged'].every((key) => b.peek(key) === CACHE_MISS) &&
        b.peek('in-ns', 'catalog') === CACHE_MISS,
      DELIVERY_MS,
      5,
    );
    expect(dropped).toBe(true);
    expect(b.peek('untouched')).toBe('value of untouched');
    expect(await redisOnly.get('untouched')).toBe('value of untouched');
  });

  it('a load that began before it cannot store its older result after it', async () => {
    const { a } = await instances();
    const release = deferred();
    const loader = countingLoader(async (call) => {
      if (call === 1) await release.promise;
      return `load ${call}`;
    });
    const first = a.getOrLoad('product:7', loader.load, { tags: ['product:7'] });
    await eventually(() => loader.calls() === 1, DELIVERY_MS, 1);
    await confirmInvalidation(a, { tags: ['product:7'] });
    release.resolve();
    expect(await first).toBe('load 1');
    expect(await a.getOrLoad('product:7', loader.load, { tags: ['product:7'] })).toBe('load 2');
  });

  it('throws InvalidationUnconfirmedError, in bounded time, while Redis is away; the same call succeeds once it is back', async () => {
    const { a, b } = await instances();
    await heldBy(a, b, 'k');
    await redis.server.kill();
    try {
      const started = performance.now();
      const error: unknown = await confirmInvalidation(a, { keys: [{ key: 'k' }], tags: ['t'] }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidationUnconfirmedError);
      expect((error as InvalidationUnconfirmedError).code).toBe('E_INVALIDATION_UNCONFIRMED');
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(a.peek('k')).toBe(CACHE_MISS);
    } finally {
      await redis.server.restart();
    }
    const done = await eventually(
      () =>
        confirmInvalidation(a, { keys: [{ key: 'k' }], tags: ['t'] }).then(
          () => true,
          () => false,
        ),
      10_000,
      100,
    );
    expect(done).toBe(true);
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
  });

  it('still lands when Redis is out of memory (delete markers and tag times are allowed then)', async () => {
    const { a, b, redisOnly } = await instances();
    await heldBy(a, b, 'k', { tags: ['t'] });
    await redis.admin.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.admin.config('SET', 'maxmemory', '1');
    try {
      await expect(redis.admin.set('oom:probe', 'x')).rejects.toThrow(/^OOM /);
      await confirmInvalidation(a, { keys: [{ key: 'k' }], tags: ['t'] });
      expect(await redisOnly.get('k')).toBeUndefined();
      expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    } finally {
      await redis.admin.config('SET', 'maxmemory', '0');
    }
  });

  it('without Redis it drops L1 and resolves', async () => {
    const stack = new CacheStack();
    redis.open.push(stack);
    await stack.set('k', 1, { tags: ['t'] });
    await stack.set('j', 2, { namespace: 'ns' });
    await confirmInvalidation(stack, { tags: ['t'], namespaces: ['ns'] });
    expect(stack.peek('k')).toBe(CACHE_MISS);
    expect(stack.peek('j', 'ns')).toBe(CACHE_MISS);
  });
});
