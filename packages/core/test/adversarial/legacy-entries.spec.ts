import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheStack, legacyCacheManagerSource, StrataConfigError } from '../../src/index.js';
import type { LegacyCacheSource } from '../../src/options/legacy-cache.source.js';
import { useRedisStacks } from '../redis-stacks.support.js';

/**
 * Whatever sits under a legacy key (planted by anyone who can write to Redis, left by another
 * tool, or half-written) never runs code, never pollutes prototypes and never fails a call: it is
 * adopted only when it decodes to plain data, else the loader runs.
 */
describe('migrateFrom with hostile or broken legacy entries', () => {
  const redis = useRedisStacks();
  let client: Redis;

  beforeEach(() => {
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    await client.flushdb();
    if (client.status !== 'end') await client.quit();
    delete (globalThis as Record<string, unknown>).strataLegacyPwned;
  });

  async function stack(
    migrateFrom: LegacyCacheSource = legacyCacheManagerSource({ client }),
  ): Promise<CacheStack> {
    const opened = new CacheStack({
      prefix: 'shop',
      redis: { url: redis.url },
      migrateFrom,
      maxKeyLength: 128,
    });
    redis.open.push(opened);
    await opened.connect();
    return opened;
  }

  const planted: [string, string][] = [
    // telejson's parse would eval this function on call, and its class revival builds a Function.
    ['function', '"_function_f|() => { globalThis.strataLegacyPwned = true; return 1 }"'],
    [
      'function in an object',
      '{"run":"_function_run|function run(){ globalThis.strataLegacyPwned = true }"}',
    ],
    ['class revival', '{"_constructor-name_":"Evil","a":1}'],
    ['reference to a prototype', '{"a":"_duplicate_[\\"__proto__\\"]"}'],
    ['own __proto__ key', '{"__proto__":{"strataLegacyPwned":true},"a":1}'],
    ['catastrophic RegExp', '"_regexp_|^(a+)+$"'],
    ['symbol', '"_symbol_x"'],
    ['converted error', '{"__isConvertedError__":true,"errorProperties":{"message":"x"}}'],
    ['not JSON', '{"a": '],
    ['two values', '1,"v":2'],
    ['invalid date', '"_date_not a date"'],
    ['malformed bigint', '"_bigint_12abc"'],
    ['undefined', '"_undefined_"'],
    ['nesting far past any DTO', '['.repeat(5_000) + ']'.repeat(5_000)],
  ];

  it.each(planted)('a planted %s is a miss: the loader runs, nothing executes', async (_name, raw) => {
    await client.set('product:1', raw, 'PX', 60_000);
    const cache = await stack();
    expect(await cache.getOrLoad('product:1', () => 'from the loader')).toBe('from the loader');
    expect((globalThis as Record<string, unknown>).strataLegacyPwned).toBeUndefined();
    expect(({} as Record<string, unknown>).strataLegacyPwned).toBeUndefined();
  });

  it('a key of another type is a miss, not a WRONGTYPE error', async () => {
    await client.hset('product:1', 'a', '1');
    await client.rpush('product:2', 'x');
    const cache = await stack();
    expect(await cache.getOrLoad('product:1', () => 'loaded 1')).toBe('loaded 1');
    expect(await cache.getOrLoad('product:2', () => 'loaded 2')).toBe('loaded 2');
  });

  it('revives only data: dates, bigints, non-finite numbers, absent properties', async () => {
    await client.set(
      'p',
      '{"at":"_date_2026-01-02T03:04:05.000Z","big":"_bigint_-12345678901234567890","n":"_NaN_","i":"_-Infinity_","gone":"_undefined_","list":[1,"_undefined_"]}',
    );
    const cache = await stack();
    const value = await cache.getOrLoad<unknown>('p', () => 'loader');
    expect(value).toEqual({
      at: new Date('2026-01-02T03:04:05.000Z'),
      big: -12345678901234567890n,
      n: Number.NaN,
      i: Number.NEGATIVE_INFINITY,
      list: [1, undefined],
    });
    expect(Object.hasOwn(value as object, 'gone')).toBe(false);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('a legacy cache that is down, or a source that throws, costs the caller nothing', async () => {
    const down = new Redis(redis.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    const throwing: LegacyCacheSource = {
      read: () => Promise.reject(new Error('legacy store exploded')),
    };
    const lying: LegacyCacheSource = {
      read: () => Promise.resolve({ value: 'legacy', remainingMs: Number.NaN }),
    };
    expect(await (await stack(legacyCacheManagerSource({ client: down }))).getOrLoad('a', () => 1)).toBe(1);
    expect(await (await stack(throwing)).getOrLoad('b', () => 2)).toBe(2);
    expect(await (await stack(lying)).getOrLoad('c', () => 3)).toBe(3);
    down.disconnect();
  });

  it('a shortened key reads no legacy entry: its original key is not known', async () => {
    const long = `product:${'x'.repeat(300)}`;
    await client.set(long, '"legacy"');
    const cache = await stack();
    expect(await cache.getOrLoad(long, () => 'loaded')).toBe('loaded');
  });

  it('a key mapping can keep namespaces apart or skip keys', async () => {
    await client.set('carts:1', '"cart"');
    const source = legacyCacheManagerSource({
      client,
      key: (key, namespace) => (namespace === 'carts' ? `carts:${key}` : undefined),
    });
    const cache = await stack(source);
    expect(await cache.getOrLoad('1', () => 'loaded', { namespace: 'carts' })).toBe('cart');
    expect(await cache.getOrLoad('carts:1', () => 'loaded')).toBe('loaded');
  });

  it('bad configuration fails at boot naming the option', () => {
    const boot = (options: ConstructorParameters<typeof CacheStack>[0]): unknown => new CacheStack(options);
    expect(() => legacyCacheManagerSource({ client: {} as Redis })).toThrow(
      expect.objectContaining({ option: 'migrateFrom.client' }),
    );
    expect(() => legacyCacheManagerSource({ client, keyPrefix: 1 as unknown as string })).toThrow(
      expect.objectContaining({ option: 'migrateFrom.keyPrefix' }),
    );
    expect(() => legacyCacheManagerSource({ client, ttl: 5 } as never)).toThrow(
      expect.objectContaining({ option: 'migrateFrom.ttl' }),
    );
    expect(() => boot({ migrateFrom: { get: () => 1 } as never, redis: { url: redis.url } })).toThrow(
      expect.objectContaining({ option: 'migrateFrom' }),
    );
    expect(() => boot({ migrateFrom: legacyCacheManagerSource({ client }) })).toThrow(StrataConfigError);
    expect(() => boot({ migrateFrom: legacyCacheManagerSource({ client }) })).toThrow(
      /migrateFrom.*needs `redis`/,
    );
  });
});
