import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { engineOf } from '../src/internal.js';
import { uniquePrefix } from './support.js';

/** Blocks this process's event loop for `ms` (a CPU-bound request). */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

/**
 * Commands sent in one pass of the event loop (many callers at once) reach Redis in one socket
 * write; they keep their order, and their Redis time starts once they are written.
 */
describe('commands sent together (one Redis server)', () => {
  let server: RedisServer;
  let admin: Redis;
  const open: CacheStack[] = [];

  beforeAll(async () => {
    server = await startRedis();
  });

  beforeEach(() => {
    admin = new Redis(server.url);
  });

  afterEach(async () => {
    admin.disconnect();
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });

  afterAll(async () => {
    await server.dispose();
  });

  async function stack(options: CacheStackOptions = {}): Promise<CacheStack> {
    const opened = new CacheStack({
      prefix: uniquePrefix(),
      l1: false,
      redis: { url: server.url },
      ...options,
    });
    open.push(opened);
    expect(await opened.connect()).toBe(true);
    return opened;
  }

  /** The socket reads Redis has made, on every connection (`INFO stats`). */
  async function redisReads(): Promise<number> {
    const match = /^total_reads_processed:(\d+)/m.exec(await admin.info('stats'));
    if (match === null) throw new Error('no total_reads_processed in INFO stats');
    return Number(match[1]);
  }

  it('50 gets issued together reach Redis in one write, and each gets its own value', async () => {
    const cache = await stack();
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    for (const [i, key] of keys.entries()) await cache.set(key, i === 0 ? 0 : i % 3 === 0 ? null : `v${i}`);
    const reads: number[] = [];
    for (let round = 0; round < 5; round++) {
      const before = await redisReads();
      const values = await Promise.all(keys.map((key) => cache.get(key)));
      // The admin's own INFO is one more read; 50 writes would be about 50.
      reads.push((await redisReads()) - before);
      expect(values).toStrictEqual(keys.map((_, i) => (i === 0 ? 0 : i % 3 === 0 ? null : `v${i}`)));
    }
    expect(Math.max(...reads)).toBeLessThanOrEqual(3);
  });

  it('keeps the order of commands sent in one pass: a get sent before a DEL on its connection reads the entry', async () => {
    const cache = await stack();
    await cache.set('k', 'old');
    const { redisClient, keys } = engineOf(cache);
    if (redisClient === undefined) throw new Error('no Redis client');
    const read = cache.get('k');
    const deleted = redisClient.del(keys.entry('k'));
    const after = cache.get('k');
    expect(await deleted).toBe(1);
    expect(await read).toBe('old');
    expect(await after).toBeUndefined();
  });

  it("holds a connection's writes back only until the pass ends, and never those of a client the app gave", async () => {
    const cache = await stack();
    await cache.set('k', 'v');
    const own = engineOf(cache).redisClient as Redis;
    const read = cache.get('k');
    expect(own.stream.writableCorked).toBe(1);
    expect(await read).toBe('v');
    expect(own.stream.writableCorked).toBe(0);

    const client = new Redis(server.url);
    try {
      const shared = await stack({ redis: { client } });
      await shared.set('k', 'v');
      const sharedRead = shared.get('k');
      expect(client.stream.writableCorked).toBe(0);
      expect(await sharedRead).toBe('v');
    } finally {
      await Promise.all(open.splice(0).map((opened) => opened.close()));
      client.disconnect();
    }
  });

  it('a stall after gets were sent together does not use up their Redis time, which starts once they are written', async () => {
    const cache = await stack({ redis: { url: server.url, commandTimeout: 200 } });
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    for (const key of keys) await cache.set(key, key);
    const errors: unknown[] = [];
    cache.events.on('l2:error', ({ error }) => errors.push(error));
    // Redis is frozen past the stall: counted from the call, the gets' time would be over before
    // they are written, and the one turn the loop gets before giving up would find no reply.
    const thawed = server.pause(350);
    const values = Promise.all(keys.map((key) => cache.get(key)));
    stall(300);
    expect(await values).toStrictEqual(keys);
    await thawed;
    expect(errors).toEqual([]);
    expect(cache.l2Available).toBe(true);
  });
});
