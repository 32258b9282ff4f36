import { afterEach, describe, expect, it } from 'vitest';
import {
  CacheStack,
  WriteBehindStrategy,
  type CacheLoader,
  type CacheWriter,
  type DeleteRecord,
  type IncrementRecord,
  type WriteRecord,
} from '../src/index.js';
import type { RedisWriteBehindCache, WriteBehindConfig } from '../src/internal.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { deferred, eventually, uniquePrefix, type Deferred } from './support.js';

/**
 * A counter read on a miss: the journal holds unflushed deltas, so the read delivers them before
 * it loads the database. When another delivery of the key's earlier deltas is in flight (the
 * flusher, or another instance's read), the deltas journaled since wait behind it; the read
 * must deliver those too, or it caches a count without them, and every later increment adds to
 * that short count.
 */

/** An in-memory counter table with the versioned upsert of a real writer; `hold` parks one call. */
class CounterTable implements CacheWriter<number>, CacheLoader<number> {
  readonly rows = new Map<string, { count: number; version: number }>();
  /** Set: the next `incrementMany` waits here (after `held` resolves) before it applies. */
  hold: { readonly held: Deferred<void>; readonly release: Deferred<void> } | undefined;

  async writeMany(_records: readonly WriteRecord<number>[]): Promise<void> {}

  async deleteMany(_records: readonly DeleteRecord[]): Promise<void> {}

  async incrementMany(records: readonly IncrementRecord[]): Promise<void> {
    const hold = this.hold;
    if (hold !== undefined) {
      this.hold = undefined;
      hold.held.resolve();
      await hold.release.promise;
    }
    for (const { key, delta, version } of records) {
      const row = this.rows.get(key);
      // A record at most the row's version is a redelivery: already counted.
      if (row !== undefined && row.version >= version) continue;
      this.rows.set(key, { count: (row?.count ?? 0) + delta, version });
    }
  }

  load(key: string): Promise<number | undefined> {
    return Promise.resolve(this.rows.get(key)?.count);
  }
}

const redis = useRedisStacks();
const caches: RedisWriteBehindCache<number>[] = [];
// Registered after useRedisStacks: runs first, so the caches drain before their stacks close.
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

/** One instance's `views` cache on the shared journal under `prefix`. */
async function instance(
  prefix: string,
  table: CounterTable,
  config: Partial<WriteBehindConfig<number>> = {},
): Promise<RedisWriteBehindCache<number>> {
  const stack = new CacheStack({ prefix, jitter: 0, redis: { url: redis.url } });
  redis.open.push(stack);
  await stack.connect();
  const cache = (await new WriteBehindStrategy(stack).bind<number>({
    name: 'views',
    writer: table,
    flushInterval: '1h',
    ...config,
  })) as RedisWriteBehindCache<number>;
  caches.push(cache);
  return cache;
}

describe('write-behind counter: a read that loads the database', () => {
  it('delivers the deltas journaled behind a delivery in flight before it loads and caches the count', async () => {
    const prefix = uniquePrefix();
    const table = new CounterTable();
    // Instance A has no loader (its increments never read); B reads through the loader.
    const a = await instance(prefix, table);
    const b = await instance(prefix, table, { loader: table });

    expect(await a.increment('k', 1)).toBeUndefined(); // no cached count: the entry is a marker
    // A's flusher takes the key's record and delivers it: held open in the database call.
    const hold = { held: deferred(), release: deferred() };
    table.hold = hold;
    const flushing = a.flush();
    await hold.held.promise;

    try {
      // Journaled behind the delivery in flight; B's read must deliver both deltas, then load.
      expect(await b.increment('k', 2)).toBe(3);
      expect(await b.get('k')).toBe(3);
    } finally {
      hold.release.resolve();
      await flushing;
    }
    expect(table.rows.get('k')?.count).toBe(3);
    // The cached count moves with each increment, from the right base.
    expect(await b.increment('k', 4)).toBe(7);
    expect(await a.get('k')).toBe(7);
    await a.flush();
    expect(table.rows.get('k')?.count).toBe(7);
    expect(await a.pending()).toBe(0);
  });

  it('stops delivering at the newest write it saw, while the key keeps being incremented', async () => {
    const table = new CounterTable();
    const cache = await instance(uniquePrefix(), table, { loader: table });
    let stop = false;
    let sent = 0;
    // Increments that never pause: the read must still end, and never cache a short count.
    const writing = (async () => {
      while (!stop) {
        await cache.increment('k', 1);
        sent++;
      }
    })();
    expect(await eventually(() => sent >= 20, 5_000, 5)).toBe(true);
    const read = await cache.get('k');
    stop = true;
    await writing;
    expect(read).toBeGreaterThanOrEqual(20);
    expect(await cache.get('k')).toBe(sent);
    await cache.flush();
    expect(table.rows.get('k')?.count).toBe(sent);
  });
});
