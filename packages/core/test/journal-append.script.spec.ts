import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../src/index.js';
import { JournalAppender } from '../src/write-behind/journal-appender.js';
import type { AppendRequest } from '../src/write-behind/journal-append.request.js';
import type { PartitionKeys } from '../src/write-behind/journal-partition.keys.js';
import { uniquePrefix } from './support.js';

/**
 * The append script on a real Redis, through the appender that batches it: what one call leaves
 * in the entries, the pending hash and the stream, and what it answers per write.
 */
describe('journal append script', () => {
  let server: RedisServer;
  let redis: Redis;
  let subscriber: Redis;
  const appenders: JournalAppender[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    subscriber = new Redis(server.url);
  });

  afterEach(async () => {
    await Promise.all(appenders.splice(0).map((a) => a.close()));
  });

  afterAll(async () => {
    redis?.disconnect();
    subscriber?.disconnect();
    await server?.dispose();
  });

  function partition(): PartitionKeys {
    const base = `${uniquePrefix()}:wb:{p}`;
    return {
      index: 0,
      tag: '{p}',
      stream: `${base}:stream`,
      pending: `${base}:pending`,
      inflight: `${base}:inflight`,
      clock: `${base}:clock`,
      dead: `${base}:dead`,
    };
  }

  function appender(p: PartitionKeys, perPartitionLimit = 100, channel = ''): JournalAppender {
    const a = new JournalAppender(redis, [p], {
      cache: 'carts',
      tombstoneTtlMs: 60_000,
      perPartitionLimit,
      bus: channel === '' ? undefined : { channel, sender: 'me' },
    });
    appenders.push(a);
    return a;
  }

  const HEAD = '4000000000000|4000000000000|0\n';
  const write = (op: AppendRequest['op'], key: string, payload = ''): AppendRequest => ({
    op,
    key,
    entryKey: `{p}:entry:${key}`,
    payload,
    entryHead: op === 'd' ? '' : HEAD,
    entryPx: 60_000,
    floor: 0,
  });

  it('applies a batch in order: entries, pending records, a stream record per newly pending key, rising versions, one announcement', async () => {
    const p = partition();
    const channel = `${uniquePrefix()}:bus`;
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(channel);
    const journal = appender(p, 100, channel);

    const results = await Promise.all([
      journal.append(0, write('s', 'a', 'j{"n":1}')),
      journal.append(0, write('s', 'a', 'j{"n":2}')),
      journal.append(0, write('d', 'b')),
    ]);

    const versions = results.map((r) => (r === 'full' ? Number.NaN : r.version));
    expect(versions[1]).toBeGreaterThan(versions[0] as number);
    expect(versions[2]).toBeGreaterThan(versions[1] as number);
    expect(await redis.hgetall(p.pending)).toEqual({
      a: `${versions[1]}|s|j{"n":2}`,
      b: `${versions[2]}|d|`,
    });
    // a was pending after its first write: its second one adds no stream record.
    const stream = await redis.xrange(p.stream, '-', '+');
    expect(stream.map(([, fields]) => fields)).toEqual([
      ['k', 'a', 'v', String(versions[0])],
      ['k', 'b', 'v', String(versions[2])],
    ]);
    expect(await redis.get('{p}:entry:a')).toMatch(new RegExp(`^S1\\|\\d+\\|${HEAD}j\\{"n":2\\}$`));
    expect(await redis.get('{p}:entry:b')).toMatch(/^X\|\d+$/);
    expect(await redis.get(p.clock)).toBe(String(versions[2]));
    await expect.poll(() => messages.length).toBe(1);
    // Bus layout 2: per key, the version up to which copies are outdated (just below a set's
    // version, a delete marker's time). The second set of `a` replaces the first, so its version
    // is the higher one, even within one microsecond.
    const created = /^S1\|(\d+)\|/.exec((await redis.get('{p}:entry:a')) ?? '')?.[1];
    const deleted = /^X\|(\d+)$/.exec((await redis.get('{p}:entry:b')) ?? '')?.[1];
    expect(JSON.parse(messages[0] as string)).toEqual({
      v: 2,
      s: 'me',
      k: ['{p}:entry:a', '{p}:entry:a', '{p}:entry:b'],
      u: [String(Number(created) - 2), String(Number(created) - 1), deleted],
    });
  });

  it('announces with the sender first, as every message of the bus begins, so the sender skips its own', async () => {
    const p = partition();
    const channel = `${uniquePrefix()}:bus`;
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(channel);
    await appender(p, 100, channel).append(0, write('s', 'a', 'j1'));
    await expect.poll(() => messages.length).toBe(1);
    expect(messages[0]?.startsWith('{"v":2,"s":"me",')).toBe(true);
  });

  it('stamps an entry above the one it replaces when that one is ahead, and at the server time otherwise', async () => {
    const p = partition();
    const journal = appender(p);
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1_000_000 + Number(micros);
    const stampOf = async (key: string): Promise<number> =>
      Number(/^S1\|(\d+)\|/.exec((await redis.get(`{p}:entry:${key}`)) ?? '')?.[1]);
    // Ahead by the same number of digits, behind by fewer, and more digits that are a smaller
    // number (leading zeros): only the first is above the server's time.
    const ahead = String(now + 3_600_000_000);
    await redis.set('{p}:entry:ahead', `S1|${ahead}|${HEAD}j1`);
    await redis.set('{p}:entry:behind', `S1|123|${HEAD}j1`);
    await redis.set('{p}:entry:zeros', `X|000000${now - 1_000_000}`);
    await Promise.all(['ahead', 'behind', 'zeros'].map((key) => journal.append(0, write('s', key, 'j2'))));
    expect(await stampOf('ahead')).toBe(Number(ahead) + 1);
    for (const key of ['behind', 'zeros']) {
      expect(await stampOf(key)).toBeGreaterThanOrEqual(now);
      expect(await stampOf(key)).toBeLessThan(Number(ahead));
    }
  });

  it('keeps a key of any characters whole, and the entry head after it', async () => {
    const p = partition();
    const journal = appender(p);
    const key = 'ключ 1|2 \n 3';
    const head = '4000000000000|4000000000000|1\n{p}:t:étiquette 7\n';

    await journal.append(0, { ...write('s', key, 'j"v"'), entryHead: head });

    expect(Object.keys(await redis.hgetall(p.pending))).toEqual([key]);
    expect(await redis.get(`{p}:entry:${key}`)).toMatch(
      /^S1\|\d+\|4000000000000\|4000000000000\|1\n\{p\}:t:étiquette 7\nj"v"$/,
    );
  });

  it('takes back a write that finds its partition full, and still applies the others of the call', async () => {
    const p = partition();
    const journal = appender(p, 2);
    await Promise.all([journal.append(0, write('s', 'a', 'j1')), journal.append(0, write('s', 'b', 'j1'))]);

    const [c, d, a] = await Promise.all([
      journal.append(0, write('s', 'c', 'j1')),
      journal.append(0, write('d', 'd')),
      journal.append(0, write('s', 'a', 'j2')),
    ]);

    expect(c).toBe('full');
    expect(d).toBe('full');
    expect(a).toMatchObject({ version: expect.any(Number) });
    expect(Object.keys(await redis.hgetall(p.pending)).sort()).toEqual(['a', 'b']);
    expect(await redis.hget(p.pending, 'a')).toMatch(/\|s\|j2$/);
    expect(await redis.exists('{p}:entry:c', '{p}:entry:d')).toBe(0);
    expect(await redis.xlen(p.stream)).toBe(2);
  });

  it('lets a key held by a flusher write again when the partition is full', async () => {
    const p = partition();
    const journal = appender(p, 1);
    await journal.append(0, write('s', 'a', 'j1'));
    // What a flusher's take does: the key moves from pending to in flight.
    await redis.hset(p.inflight, 'a', (await redis.hget(p.pending, 'a')) ?? '');
    await redis.hdel(p.pending, 'a');

    expect(await journal.append(0, write('s', 'a', 'j2'))).toMatchObject({ version: expect.any(Number) });
    expect(await journal.append(0, write('s', 'b', 'j1'))).toBe('full');
  });

  it('answers an increment with the cached count, and rejects one on a value that is not an integer, changing nothing', async () => {
    const p = partition();
    const journal = appender(p);
    await journal.append(0, write('s', 'n', 'j5'));
    await journal.append(0, write('s', 'x', 'j"five"'));
    const before = await redis.hgetall(p.pending);

    const [n, x] = await Promise.all([
      journal.append(0, write('i', 'n', '3')),
      journal.append(0, write('i', 'x', '3')).catch((error: unknown) => error),
    ]);

    expect(n).toMatchObject({ count: 8 });
    expect(await redis.hget(p.pending, 'n')).toBe(`${n === 'full' ? '' : n.version}|s|j8`);
    expect(x).toBeInstanceOf(StrataError);
    expect(x).toMatchObject({ code: 'E_NOT_A_COUNTER' });
    expect(await redis.hget(p.pending, 'x')).toBe(before['x']);
  });
});
