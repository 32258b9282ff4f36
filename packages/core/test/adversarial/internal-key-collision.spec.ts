import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, WriteBehindStrategy, type CacheWriter, type WriteRecord } from '../../src/index.js';
import { KeyBuilder, type RedisWriteBehindCache } from '../../src/internal.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { uniquePrefix } from '../support.js';

/**
 * Strata keeps its own data (write-behind journals, leases, tag times) under the same prefix as
 * entries. No entry key, whatever its namespace and user key, may name one of those keys: a cached
 * value written over a journal stream, or a delete that unlinks it, would lose pending writes.
 */

const JOURNAL_SUFFIXES = ['stream', 'pending', 'inflight', 'clock', 'dead'] as const;

/** The keys of partition `index` of the write-behind journal of cache `cache`. */
function journalKeys(prefix: string, cache: string, index: number): string[] {
  const base = `${prefix}:wb:{${prefix}:wb:${cache}:${index}}`;
  return JOURNAL_SUFFIXES.map((suffix) => `${base}:${suffix}`);
}

describe('entry keys never name an internal key', () => {
  it('no (namespace, key) pair builds a write-behind journal key', () => {
    const NAME = fc.constantFrom('wb', 'orders', 'docs', 'a.b');
    fc.assert(
      fc.property(
        NAME,
        fc.integer({ min: 0, max: 15 }),
        fc.constantFrom(...JOURNAL_SUFFIXES),
        (cache, index, suffix) => {
          const keys = new KeyBuilder('shop', 512);
          const internal = `shop:wb:{shop:wb:${cache}:${index}}:${suffix}`;
          // The only head that could spell it: namespace `wb`, the rest as the user key.
          expect(keys.entry(internal.slice('shop:wb:'.length), 'wb')).not.toBe(internal);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a write-behind cache named `wb` on a cluster keeps its entries apart from its journal', () => {
    const keys = new KeyBuilder('shop', 512);
    // RedisWriteBehindCache.cacheKey on a cluster: the partition's hash tag, `:`, the user key.
    for (const suffix of JOURNAL_SUFFIXES) {
      const full = keys.entry(`{shop:wb:wb:0}:${suffix}`, 'wb');
      expect(journalKeys('shop', 'wb', 0)).not.toContain(full);
      // Shortened or not, the entry stays in its partition's slot.
      expect(full.startsWith('shop:wb:{shop:wb:wb:0}')).toBe(true);
    }
  });
});

const redis = useRedisStacks();
let inspector: Redis;
const caches: RedisWriteBehindCache<string>[] = [];
beforeAll(() => {
  inspector = new Redis(redis.url);
});
afterAll(() => inspector.disconnect());
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

describe('a user key spelled like a journal key, on Redis', () => {
  it('set and delete in namespace `wb` leave the journal and its pending writes alone', async () => {
    const prefix = uniquePrefix();
    const written: WriteRecord<string>[] = [];
    const writer: CacheWriter<string> = {
      writeMany: async (records) => {
        written.push(...records);
      },
      deleteMany: async () => {},
    };
    const stack = new CacheStack({ prefix, jitter: 0, redis: { url: redis.url } });
    redis.open.push(stack);
    expect(await stack.connect()).toBe(true);
    const orders = (await new WriteBehindStrategy(stack).bind<string>({
      name: 'orders',
      writer,
      flushInterval: '1h',
    })) as RedisWriteBehindCache<string>;
    caches.push(orders);
    await orders.set('o1', 'pending order');

    const [stream, pending] = journalKeys(prefix, 'orders', 0);
    expect(orders.partitions[0]?.stream).toBe(stream);
    const streamKey = stream ?? '';
    const pendingKey = pending ?? '';
    const forged = streamKey.slice(`${prefix}:wb:`.length);
    const forgedPending = pendingKey.slice(`${prefix}:wb:`.length);
    await stack.delete(forged, { namespace: 'wb' });
    await stack.delete(forgedPending, { namespace: 'wb' });
    await stack.set(forged, 'user value', { namespace: 'wb' });
    expect(await stack.get(forged, { namespace: 'wb' })).toBe('user value');

    expect(await inspector.type(streamKey)).toBe('stream');
    await orders.set('o2', 'next order');
    await orders.flush();
    expect(written.map((record) => record.key).sort()).toStrictEqual(['o1', 'o2']);
  });
});
