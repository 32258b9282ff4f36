import { caching, type Cache } from 'cache-manager';
import { redisInsStore, type RedisStore } from 'cache-manager-ioredis-yet';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheStack, legacyCacheManagerSource } from '../src/index.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { engineOf } from '../src/internal.js';

/**
 * A fleet moving from cache-manager 5 + cache-manager-ioredis-yet to Strata: entries the old app
 * wrote (through the real packages, on a real Redis) are adopted by the new one instead of loaded.
 */
describe('migrateFrom: cache-manager 5 + cache-manager-ioredis-yet', () => {
  const redis = useRedisStacks();
  let client: Redis;
  let legacy: Cache<RedisStore>;

  beforeEach(async () => {
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    legacy = await caching(redisInsStore(client));
  });
  afterEach(async () => {
    await client.flushdb();
    await client.quit();
  });

  async function stack(keyPrefix?: string): Promise<CacheStack> {
    const opened = new CacheStack({
      prefix: 'shop',
      ttl: '5m',
      redis: { url: redis.url },
      migrateFrom: legacyCacheManagerSource({ client, ...(keyPrefix === undefined ? {} : { keyPrefix }) }),
    });
    redis.open.push(opened);
    await opened.connect();
    return opened;
  }

  function never(): never {
    throw new Error('the loader must not run: the legacy entry is adopted');
  }

  it('serves what the old app cached, with the types its own reads revived, without loading', async () => {
    const product = {
      id: 42,
      name: 'Lamp',
      price: 19.5,
      tags: ['home', 'light'],
      createdAt: new Date('2026-01-02T03:04:05.000Z'),
      stock: null,
      nested: { ok: true, list: [1, 'two', { three: 3 }] },
    };
    await legacy.set('product:42', product, 60_000);
    await legacy.set('count', 7, 60_000);
    await legacy.set('motto', 'hello', 60_000);

    const cache = await stack();
    const adopted = await cache.getOrLoad('product:42', never);
    expect(adopted).toEqual(await legacy.get('product:42'));
    expect(adopted).toEqual(product);
    expect((adopted as typeof product).createdAt).toBeInstanceOf(Date);
    expect(await cache.getOrLoad('count', never)).toBe(7);
    expect(await cache.getOrLoad('motto', never)).toBe('hello');
  });

  it('stores the adopted entry in Strata for at most the legacy entry’s remaining life', async () => {
    await legacy.set('product:1', { id: 1 }, 30_000);
    const cache = await stack();
    await cache.getOrLoad('product:1', never);

    const life = await client.pttl(engineOf(cache).keys.entry('product:1'));
    expect(life).toBeGreaterThan(20_000);
    expect(life).toBeLessThanOrEqual(30_000);
    // Now a Strata entry: found even after the legacy one is gone.
    await legacy.del('product:1');
    expect(await cache.getOrLoad('product:1', never)).toEqual({ id: 1 });
  });

  it('bounds a legacy entry without expiry by the call’s ttl', async () => {
    await legacy.set('forever', { v: 1 }, 0);
    expect(await client.pttl('forever')).toBe(-1);
    const cache = await stack();
    expect(await cache.getOrLoad('forever', never, { ttl: '10s' })).toEqual({ v: 1 });
    const life = await client.pttl(engineOf(cache).keys.entry('forever'));
    expect(life).toBeGreaterThan(0);
    expect(life).toBeLessThanOrEqual(11_000);
  });

  it('runs the loader when the legacy cache has nothing, and after an invalidation', async () => {
    const cache = await stack();
    expect(await cache.getOrLoad('absent', () => 'loaded')).toBe('loaded');

    await legacy.set('product:7', { v: 'legacy' }, 60_000);
    expect(await cache.getOrLoad('product:7', never)).toEqual({ v: 'legacy' });
    await cache.delete('product:7');
    // A Strata delete is a Strata miss, and the legacy entry is still there: it is read again.
    // Deletes must therefore reach both caches while both run (see the migration guide).
    expect(await cache.getOrLoad('product:7', never)).toEqual({ v: 'legacy' });
  });

  it('finds entries the old app wrote under its own key prefix', async () => {
    await legacy.set('legacy-app:product:9', { id: 9 }, 60_000);
    const cache = await stack('legacy-app:');
    expect(await cache.getOrLoad('product:9', never)).toEqual({ id: 9 });
  });

  it('leaves hits alone: a Strata entry wins over a legacy one', async () => {
    const cache = await stack();
    await cache.set('product:3', { from: 'strata' });
    await legacy.set('product:3', { from: 'legacy' }, 60_000);
    expect(await cache.getOrLoad('product:3', never)).toEqual({ from: 'strata' });
  });

  it('keeps serving the adopted value when an old instance writes the legacy key afterwards', async () => {
    await legacy.set('product:5', { price: 1 }, 60_000);
    const cache = await stack();
    expect(await cache.getOrLoad('product:5', never)).toEqual({ price: 1 });
    await legacy.set('product:5', { price: 2 }, 60_000);
    // The documented overlap limit: the new fleet sees the old write only once its entry expires.
    expect(await cache.getOrLoad('product:5', never)).toEqual({ price: 1 });
    expect(await legacy.get('product:5')).toEqual({ price: 2 });
  });

  it('reads the legacy entry once for concurrent misses across instances', async () => {
    await legacy.set('product:6', { id: 6 }, 60_000);
    const reads: string[] = [];
    const source = legacyCacheManagerSource({ client });
    const counting = {
      read: (key: string, namespace: string) => {
        reads.push(key);
        return source.read(key, namespace);
      },
    };
    const instances = [0, 1].map(() => {
      const opened = new CacheStack({ prefix: 'shop', redis: { url: redis.url }, migrateFrom: counting });
      redis.open.push(opened);
      return opened;
    });
    await Promise.all(instances.map((instance) => instance.connect()));
    const values = await Promise.all(
      instances.flatMap((instance) => [1, 2, 3].map(() => instance.getOrLoad('product:6', never))),
    );
    expect(values).toEqual(Array.from({ length: 6 }, () => ({ id: 6 })));
    expect(reads).toEqual(['product:6']);
  });

  it('does not store an adoption when the key is deleted while the legacy read is in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const source = {
      read: async () => {
        calls += 1;
        if (calls > 1) return undefined;
        await gate;
        return { value: 'legacy', remainingMs: 60_000 };
      },
    };
    const opened = new CacheStack({ prefix: 'shop', redis: { url: redis.url }, migrateFrom: source });
    redis.open.push(opened);
    await opened.connect();
    const first = opened.getOrLoad('product:8', never);
    await expect.poll(() => calls).toBe(1);
    await opened.delete('product:8');
    release();
    expect(await first).toBe('legacy');
    expect(await opened.getOrLoad('product:8', () => 'fresh')).toBe('fresh');
  });

  it('adopts exactly what the old app’s own reads return, for any JSON data and dates', async () => {
    const cache = await stack();
    let n = 0;
    const data = fc.oneof(
      fc.jsonValue(),
      fc.record({ at: fc.date({ noInvalidDate: true }), v: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(
        // Strings telejson gives a meaning (`_date_…`, `_function_…`) and prototype keys are covered
        // by the adversarial suite; null is not a value cache-manager stores.
        data.filter((v) => v !== null && !JSON.stringify(v).includes('"_')),
        async (value) => {
          n += 1;
          await legacy.set(`p:${n}`, value, 60_000);
          expect(await cache.getOrLoad(`p:${n}`, never)).toEqual(await legacy.get(`p:${n}`));
        },
      ),
      { numRuns: 100 },
    );
  });
});
