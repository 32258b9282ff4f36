import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CacheStack,
  StrataConfigError,
  WriteBehindStrategy,
  type CacheWriter,
  type DeleteRecord,
  type IncrementRecord,
  type WriteRecord,
} from '../src/index.js';
import type { RedisWriteBehindCache } from '../src/internal.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { uniquePrefix } from './support.js';

interface Order {
  card: string;
  lines: string[];
}

/** Records every write it is handed; fails the first `failures` batches. */
class RecordingWriter implements CacheWriter<Order> {
  readonly written: WriteRecord<Order>[] = [];
  constructor(private failures = 0) {}
  async writeMany(records: readonly WriteRecord<Order>[]): Promise<void> {
    if (this.failures-- > 0) throw new Error('database down');
    this.written.push(...records);
  }
  async deleteMany(_records: readonly DeleteRecord[]): Promise<void> {}
}

const KEYS = { keys: { k1: randomBytes(32) }, current: 'k1' };
const ORDER: Order = { card: '4111-1111-1111-1111', lines: ['Ada Lovelace, 12 Analytical Row'] };

/**
 * Write-behind journals on Redis hold what the cache would: large values compressed, a sensitive
 * cache's values encrypted (stream records and pending hashes alike), and the writer still gets
 * the values in clear.
 */
describe('write-behind journal on Redis: values at rest', () => {
  const redis = useRedisStacks();
  const caches: RedisWriteBehindCache<Order>[] = [];
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
  });

  const bind = async (
    writer: CacheWriter<Order>,
    options: { sensitive?: boolean; stack?: ConstructorParameters<typeof CacheStack>[0] } = {},
  ): Promise<RedisWriteBehindCache<Order>> => {
    const stack = new CacheStack({ prefix: uniquePrefix(), redis: { url: redis.url }, ...options.stack });
    redis.open.push(stack);
    await stack.connect();
    const cache = (await new WriteBehindStrategy(stack).bind<Order>({
      name: 'orders',
      writer,
      partitions: 1,
      flushInterval: '1h',
      retryBase: '10ms',
      maxAttempts: 1,
      ...(options.sensitive === undefined ? {} : { sensitive: options.sensitive }),
    })) as RedisWriteBehindCache<Order>;
    caches.push(cache);
    return cache;
  };

  /** Everything Redis holds under the cache's prefix, as bytes. */
  const everything = async (prefix: string): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for (const key of await redis.admin.keys(`${prefix}*`)) {
      const type = await redis.admin.type(key);
      if (type === 'string') parts.push((await redis.admin.getBuffer(key)) ?? Buffer.alloc(0));
      else if (type === 'hash') parts.push(...Object.values(await redis.admin.hgetallBuffer(key)));
      else if (type === 'stream')
        parts.push(Buffer.from(JSON.stringify(await redis.admin.xrange(key, '-', '+'))));
    }
    return Buffer.concat(parts);
  };

  it('a sensitive cache journals ciphertext only, and the writer gets the values in clear', async () => {
    const writer = new RecordingWriter();
    const cache = await bind(writer, { sensitive: true, stack: { encryption: KEYS } });
    await cache.set('o1', ORDER);
    const stored = await everything(cache.partitions[0]?.stream.split(':')[0] ?? '');
    expect(stored.length).toBeGreaterThan(0);
    for (const clear of ['4111', 'Lovelace', 'Analytical']) expect(stored.includes(clear)).toBe(false);
    expect(await cache.get('o1')).toEqual(ORDER);
    await cache.flush();
    expect(writer.written.map((record) => record.value)).toEqual([ORDER]);
  });

  it('a dead letter of a sensitive cache still shows its value to the app', async () => {
    const writer = new RecordingWriter(10);
    const cache = await bind(writer, { sensitive: true, stack: { encryption: KEYS } });
    await cache.set('o1', ORDER);
    await cache.flush().catch(() => undefined);
    const letters = await cache.listDeadLetters();
    expect(letters).toEqual([expect.objectContaining({ key: 'o1', kind: 'set', value: ORDER })]);
  });

  it('journals a large value compressed and delivers it whole', async () => {
    const writer = new RecordingWriter();
    const cache = await bind(writer);
    const large: Order = {
      card: 'none',
      lines: Array.from({ length: 3_000 }, (_, i) => `line ${i} of the order`),
    };
    await cache.set('big', large);
    const stored = await everything(cache.partitions[0]?.stream.split(':')[0] ?? '');
    expect(stored.length).toBeLessThan(JSON.stringify(large).length);
    await cache.flush();
    expect(writer.written.map((record) => record.value)).toEqual([large]);
  });

  it('refuses to bind a sensitive cache whose writer counts, and a sensitive cache without keys', async () => {
    class CountingWriter extends RecordingWriter {
      async incrementMany(_records: readonly IncrementRecord[]): Promise<void> {}
    }
    await expect(
      bind(new CountingWriter(), { sensitive: true, stack: { encryption: KEYS } }),
    ).rejects.toThrow(/caches\[orders\]\.sensitive.*incrementMany/);
    await expect(bind(new RecordingWriter(), { sensitive: true })).rejects.toThrow(StrataConfigError);
    // Listed in encryption.namespaces: the same.
    await expect(
      bind(new CountingWriter(), { stack: { encryption: { ...KEYS, namespaces: ['orders'] } } }),
    ).rejects.toThrow(/incrementMany/);
  });
});
