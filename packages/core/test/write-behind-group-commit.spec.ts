import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheStack,
  WriteBehindStrategy,
  type CacheWriter,
  type DeleteRecord,
  type WriteRecord,
} from '../src/index.js';
import type { RedisWriteBehindCache } from '../src/internal.js';
import { MAX_APPEND_BATCH } from '../src/write-behind/journal-appender.js';
import { scriptCalls } from './command-stats.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { uniquePrefix } from './support.js';

/**
 * Group commit of the Redis journal, end to end: concurrent sets share the append script's calls
 * (counted by the server: `INFO commandstats`), each set resolves only once its call was
 * answered, and every set accepted that way reaches the writer.
 */

/** Records every write it is handed, in order. */
class RecordingWriter implements CacheWriter<{ n: number }> {
  readonly written: WriteRecord<{ n: number }>[] = [];
  async writeMany(records: readonly WriteRecord<{ n: number }>[]): Promise<void> {
    this.written.push(...records);
  }
  async deleteMany(_records: readonly DeleteRecord[]): Promise<void> {}
}

const redis = useRedisStacks();
let admin: Redis;
const caches: RedisWriteBehindCache<{ n: number }>[] = [];

beforeAll(() => {
  admin = new Redis(redis.url);
});
// Registered after useRedisStacks: runs first, so the caches drain before their stacks close.
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});
afterAll(() => admin.disconnect());

async function writeBehind(writer: RecordingWriter): Promise<RedisWriteBehindCache<{ n: number }>> {
  const stack = new CacheStack({ prefix: uniquePrefix(), redis: { url: redis.url } });
  redis.open.push(stack);
  await stack.connect();
  const cache = (await new WriteBehindStrategy(stack).bind<{ n: number }>({
    name: 'carts',
    writer,
    // One partition, and no flush while the sets run: every script call counted is an append.
    partitions: 1,
    flushInterval: '1h',
  })) as RedisWriteBehindCache<{ n: number }>;
  caches.push(cache);
  return cache;
}

describe('write-behind on Redis: group commit of concurrent sets', () => {
  it(`${3 * MAX_APPEND_BATCH + 5} concurrent sets use at most ceil(n / ${MAX_APPEND_BATCH}) script calls, and all reach the writer`, async () => {
    const writer = new RecordingWriter();
    const cache = await writeBehind(writer);
    const n = 3 * MAX_APPEND_BATCH + 5;
    const before = await scriptCalls(admin);
    await Promise.all(Array.from({ length: n }, (_, i) => cache.set(`k${i}`, { n: i })));
    const calls = (await scriptCalls(admin)) - before;
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(Math.ceil(n / MAX_APPEND_BATCH));
    // Accepted: journaled before the set resolved, so the journal holds every one of them.
    expect(await cache.pending()).toBe(n);
    await cache.flush();
    const delivered = new Map(writer.written.map((record) => [record.key, record.value]));
    expect(delivered.size).toBe(n);
    for (let i = 0; i < n; i++) expect(delivered.get(`k${i}`)).toEqual({ n: i });
    expect(await cache.pending()).toBe(0);
  });

  it('keeps each key’s last write when sets of a few keys interleave across calls', async () => {
    const writer = new RecordingWriter();
    const cache = await writeBehind(writer);
    const rounds = 3 * MAX_APPEND_BATCH;
    await Promise.all(Array.from({ length: rounds }, (_, i) => cache.set(`k${i % 4}`, { n: i })));
    await cache.flush();
    for (let key = 0; key < 4; key++) {
      const last = writer.written.filter((record) => record.key === `k${key}`).at(-1);
      expect(last?.value).toEqual({ n: rounds - 4 + key });
    }
    for (let key = 0; key < 4; key++) expect(await cache.get(`k${key}`)).toEqual({ n: rounds - 4 + key });
  });
});
