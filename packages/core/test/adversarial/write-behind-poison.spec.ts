import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheStack,
  DeadLetterNotRedrivableError,
  UnknownDeadLetterError,
  WriteBehindStrategy,
  type CacheWriter,
  type DeleteRecord,
  type IncrementRecord,
  type WriteRecord,
} from '../../src/index.js';
import { JOURNAL_GROUP, type RedisWriteBehindCache, type WriteBehindConfig } from '../../src/internal.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { uniquePrefix } from '../support.js';

/**
 * The Redis write-behind journal is data anyone with the Redis password can write: entries that
 * are not records (injected with `XADD`), pending records that cannot be parsed or decoded. None
 * may stall the flusher, hide the lag, or shadow later writes; each becomes one dead letter.
 */

/** An in-memory "database" that fails the keys in `failing` (the flusher's real writer is the app's). */
class RecordingWriter implements CacheWriter<string> {
  readonly writes: WriteRecord<string>[] = [];
  readonly increments: IncrementRecord[] = [];
  readonly failing = new Set<string>();
  /** Runs before each call: a test holds a flush open here. */
  before: (() => Promise<void>) | undefined;

  async writeMany(records: readonly WriteRecord<string>[]): Promise<void> {
    await this.before?.();
    const bad = records.find((r) => this.failing.has(r.key));
    if (bad !== undefined) throw new Error(`rejected ${bad.key}`);
    this.writes.push(...records);
  }

  async deleteMany(_records: readonly DeleteRecord[]): Promise<void> {
    await this.before?.();
  }

  async incrementMany(records: readonly IncrementRecord[]): Promise<void> {
    await this.before?.();
    const bad = records.find((r) => this.failing.has(r.key));
    if (bad !== undefined) throw new Error(`rejected ${bad.key}`);
    this.increments.push(...records);
  }

  keys(): string[] {
    return this.writes.map((r) => r.key);
  }
}

const redis = useRedisStacks();
let inspector: Redis;
const caches: RedisWriteBehindCache<string>[] = [];
beforeAll(() => {
  inspector = new Redis(redis.url);
});
afterAll(() => inspector.disconnect());
// Registered after useRedisStacks: runs first, so the caches drain before their stacks close.
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

async function instance(
  prefix: string,
  writer: CacheWriter<string>,
  config: Partial<WriteBehindConfig<string>> = {},
): Promise<RedisWriteBehindCache<string>> {
  const stack = new CacheStack({ prefix, jitter: 0, redis: { url: redis.url } });
  redis.open.push(stack);
  await stack.connect();
  const cache = (await new WriteBehindStrategy(stack).bind<string>({
    name: 'docs',
    writer,
    flushInterval: '1h',
    retryBase: '1ms',
    maxAttempts: 2,
    ...config,
  })) as RedisWriteBehindCache<string>;
  caches.push(cache);
  return cache;
}

const stream = (cache: RedisWriteBehindCache<string>): string => cache.partitions[0]?.stream ?? '';
const pendingHash = (cache: RedisWriteBehindCache<string>): string => cache.partitions[0]?.pending ?? '';

async function groupPending(cache: RedisWriteBehindCache<string>): Promise<number> {
  const summary = (await inspector.xpending(stream(cache), JOURNAL_GROUP)) as [number, ...unknown[]];
  return Number(summary[0]);
}

describe('write-behind: unreadable journal entries', () => {
  it('counts a poison entry at the head of the stream in the lag, and delivers the writes behind it', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    await inspector.xadd(stream(cache), '*', 'garbage', 'yes');
    await cache.set('a', 'A');
    await cache.set('b', 'B');

    // Writes are waiting: the lag says so, whatever the head entry is made of.
    expect(await cache.oldestPendingAge()).toBeGreaterThanOrEqual(0);

    await cache.flush();
    expect(writer.keys().sort()).toEqual(['a', 'b']);
    expect(await cache.oldestPendingAge()).toBeUndefined();
    expect(await cache.streamLength()).toBe(0);
    expect(await groupPending(cache)).toBe(0);
    expect(await cache.deadLetterCount()).toBe(1);
    const [letter] = await cache.listDeadLetters();
    expect(letter).toMatchObject({ kind: 'unreadable', key: '', version: 0, raw: 'garbage yes' });
    expect(letter?.error).toContain('unknown field "garbage"');
  });

  it.each<[string, string[]]>([
    ['no fields but an unknown one', ['x', '1', 'y', '2']],
    ['a key without a version', ['k', 'a']],
    ['a version without a key', ['v', '17']],
    ['an empty key', ['k', '', 'v', '17']],
    ['a version that is not a number', ['k', 'a', 'v', 'seventeen']],
    ['a negative version', ['k', 'a', 'v', '-17']],
    ['a fractional version', ['k', 'a', 'v', '1.5']],
    ['a version in exponent form', ['k', 'a', 'v', '1e3']],
    ['a version past 2^53', ['k', 'a', 'v', '90071992547409930']],
    ['a repeated key field', ['k', 'a', 'k', 'b', 'v', '17']],
    ['an unknown format version', ['k', 'a', 'v', '17', 'f', '2']],
    ['a record naming another cache', ['k', 'a', 'v', '17', 'c', 'other-cache']],
    ['a re-drive flag that is not 1', ['k', 'a', 'v', '17', 'x', 'yes']],
    ['a JSON document instead of fields', ['{"k":"a","v":17}', '']],
  ])('dead-letters and acknowledges an entry with %s, and keeps the key writable', async (_, fields) => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    await inspector.xadd(stream(cache), '*', ...fields);
    await cache.flush();
    await cache.set('a', 'A');
    await cache.flush();

    expect(writer.keys()).toEqual(['a']);
    expect(await cache.deadLetterCount()).toBe(1);
    expect((await cache.listDeadLetters())[0]?.kind).toBe('unreadable');
    expect(await cache.streamLength()).toBe(0);
    expect(await groupPending(cache)).toBe(0);
  });

  it('copies at most about 1 KB of a huge poison entry into its dead letter', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    const huge = 'z'.repeat(2_000_000);
    await inspector.xadd(stream(cache), '*', 'k', huge, 'v', '1', 'payload', huge);
    await cache.flush();
    const [letter] = await cache.listDeadLetters();
    expect(letter?.kind).toBe('unreadable');
    expect(letter?.raw?.length).toBeLessThanOrEqual(1_024);
    expect(letter?.key.length).toBeLessThanOrEqual(1_024);
    const [entry] = await inspector.xrange(cache.partitions[0]?.dead ?? '', '-', '+');
    expect(JSON.stringify(entry).length).toBeLessThan(8_000);
  });

  it('acknowledges without delivering a well-formed entry whose key has nothing pending', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    await inspector.xadd(stream(cache), '*', 'k', 'ghost', 'v', '17');
    await cache.flush();
    expect(writer.writes).toEqual([]);
    expect(await cache.deadLetterCount()).toBe(0);
    expect(await cache.streamLength()).toBe(0);
  });

  it.each([
    ['bad JSON', '17|s|j{"a":'],
    ['an unknown record kind', '17|q|x'],
    ['no version', 's|j"A"'],
    ['a huge undecodable value', `17|s|j${'['.repeat(100_000)}`],
    ['a typed value that is not JSON', '17|s|t{'],
  ])('dead-letters a pending record with %s, and the next write of its key is delivered', async (_, raw) => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    await inspector.hset(pendingHash(cache), 'k1', raw);
    await inspector.xadd(stream(cache), '*', 'k', 'k1', 'v', '17');
    await cache.flush();
    expect(await cache.deadLetterCount()).toBe(1);
    const [letter] = await cache.listDeadLetters();
    expect(letter).toMatchObject({ key: 'k1', kind: 'unreadable' });
    expect(letter?.raw?.length).toBeLessThanOrEqual(1_024);
    await expect(cache.redriveDeadLetter(letter?.id ?? '')).rejects.toBeInstanceOf(
      DeadLetterNotRedrivableError,
    );

    // Not left in flight, where it would shadow every later write of the key.
    await cache.set('k1', 'fresh');
    await cache.flush();
    expect(writer.writes.map((r) => [r.key, r.value])).toEqual([['k1', 'fresh']]);
    expect(await cache.pending()).toBe(0);
  });

  it('gets through many poison entries mixed with writes, in batches smaller than the poison', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer, { batchSize: 5 });
    const pipeline = inspector.pipeline();
    for (let i = 0; i < 300; i++) pipeline.xadd(stream(cache), '*', 'junk', String(i));
    await pipeline.exec();
    for (let i = 0; i < 20; i++) await cache.set(`key-${i}`, `v${i}`);
    await cache.flush();
    expect(writer.keys()).toHaveLength(20);
    expect(await cache.deadLetterCount()).toBe(300);
    expect(await cache.listDeadLetters(7)).toHaveLength(7);
    expect(await cache.oldestPendingAge()).toBeUndefined();
    expect(await cache.purgeDeadLetters()).toBe(300);
    expect(await cache.deadLetterCount()).toBe(0);
  });

  it('dead-letters poison another instance left pending once it is claimed', async () => {
    const prefix = uniquePrefix();
    const writer = new RecordingWriter();
    const cache = await instance(prefix, writer, { claimIdle: '50ms' });
    await inspector.xadd(stream(cache), '*', 'junk', '1');
    // A consumer that read the entry and died without acknowledging it.
    await inspector.xreadgroup('GROUP', JOURNAL_GROUP, 'crashed', 'COUNT', 10, 'STREAMS', stream(cache), '>');
    expect(await groupPending(cache)).toBe(1);
    expect(await cache.oldestPendingAge()).toBeGreaterThanOrEqual(0);
    await new Promise((resolve) => setTimeout(resolve, 60)); // claimIdle is real time by design
    await cache.flush();
    expect(await groupPending(cache)).toBe(0);
    expect(await cache.deadLetterCount()).toBe(1);
  });
});

describe('write-behind dead letters: re-drive and purge', () => {
  it('re-drives a failed write once when two instances race, and delivers it once', async () => {
    const prefix = uniquePrefix();
    const writerA = new RecordingWriter();
    const writerB = new RecordingWriter();
    const a = await instance(prefix, writerA);
    const b = await instance(prefix, writerB);
    writerA.failing.add('x');
    await a.set('x', 'X');
    await a.flush();
    const [letter] = await b.listDeadLetters();
    expect(letter).toMatchObject({ key: 'x', kind: 'set', value: 'X', error: 'rejected x' });
    expect(await a.deadLetterCount()).toBe(1);
    expect(await b.deadLetterCount()).toBe(1);

    writerA.failing.clear();
    const outcomes = await Promise.allSettled([
      a.redriveDeadLetter(letter?.id ?? ''),
      b.redriveDeadLetter(letter?.id ?? ''),
    ]);
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(fulfilled.map((o) => o.value)).toEqual(['requeued']);
    expect(rejected.map((o) => o.reason)).toEqual([expect.any(UnknownDeadLetterError)]);

    await Promise.all([a.flush(), b.flush()]);
    const delivered = [...writerA.writes, ...writerB.writes].filter((r) => r.key === 'x');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ value: 'X', version: letter?.version });
    expect(await a.deadLetterCount()).toBe(0);
  });

  it('dead-letters a re-driven write again with the new error when it fails again', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    writer.failing.add('x');
    await cache.set('x', 'X');
    await cache.flush();
    const [first] = await cache.listDeadLetters();
    expect(await cache.redriveDeadLetter(first?.id ?? '')).toBe('requeued');
    expect(await cache.deadLetterCount()).toBe(0);
    // Reads see the re-driven write while it is pending.
    expect(await cache.get('x')).toBe('X');
    await cache.flush();
    const letters = await cache.listDeadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.id).not.toBe(first?.id);
    expect(letters[0]).toMatchObject({ key: 'x', version: first?.version, error: 'rejected x' });
  });

  it('re-drives an increment with a new version, added to the pending increments of its key', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    writer.failing.add('n');
    await cache.increment('n', 5);
    await cache.flush();
    const [letter] = await cache.listDeadLetters();
    expect(letter).toMatchObject({ kind: 'increment', value: 5 });
    writer.failing.clear();
    await cache.increment('n', 2);
    expect(await cache.redriveDeadLetter(letter?.id ?? '')).toBe('requeued');
    await cache.flush();
    expect(writer.increments.map((r) => r.delta)).toEqual([7]);
    expect(writer.increments[0]?.version).toBeGreaterThan(letter?.version ?? Infinity);
  });

  it('resolves a dead set as superseded when a newer set of its key is unflushed', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    writer.failing.add('x');
    await cache.set('x', 'old');
    await cache.flush();
    writer.failing.clear();
    await cache.set('x', 'new');
    const [letter] = await cache.listDeadLetters();
    expect(await cache.redriveDeadLetter(letter?.id ?? '')).toBe('superseded');
    await cache.flush();
    expect(writer.writes.map((r) => r.value)).toEqual(['new']);
    expect(await cache.deadLetterCount()).toBe(0);
  });

  it('does not let an unreadable pending record of the key supersede a re-drive', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    writer.failing.add('x');
    await cache.set('x', 'X');
    await cache.flush();
    writer.failing.clear();
    const [letter] = await cache.listDeadLetters();
    await inspector.hset(pendingHash(cache), 'x', 'garbage');
    await inspector.xadd(stream(cache), '*', 'k', 'x', 'v', '1');
    await expect(cache.redriveDeadLetter(letter?.id ?? '')).rejects.toBeInstanceOf(
      DeadLetterNotRedrivableError,
    );
    expect(await cache.deadLetterCount()).toBe(1);
    // The flush sets the garbage aside; then the re-drive goes through.
    await cache.flush();
    expect(await cache.deadLetterCount()).toBe(2);
    expect(await cache.redriveDeadLetter(letter?.id ?? '')).toBe('requeued');
    await cache.flush();
    expect(writer.writes.map((r) => r.value)).toEqual(['X']);
  });

  it('refuses unknown, malformed and already purged ids with UnknownDeadLetterError', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer);
    writer.failing.add('x');
    await cache.set('x', 'X');
    await cache.flush();
    const [letter] = await cache.listDeadLetters();
    const id = letter?.id ?? '';
    for (const bad of ['', 'nope', '0:', '0:1-1', '99:1-1', `7${id}`, '-1:1-1', '0:1-1:2'])
      await expect(cache.redriveDeadLetter(bad), bad).rejects.toMatchObject({
        code: 'E_UNKNOWN_DEAD_LETTER',
      });
    await expect(cache.purgeDeadLetters('0:1-1')).rejects.toBeInstanceOf(UnknownDeadLetterError);
    expect(await cache.purgeDeadLetters(id)).toBe(1);
    await expect(cache.purgeDeadLetters(id)).rejects.toBeInstanceOf(UnknownDeadLetterError);
    await expect(cache.redriveDeadLetter(id)).rejects.toBeInstanceOf(UnknownDeadLetterError);
    await expect(cache.listDeadLetters(0)).rejects.toThrow(RangeError);
  });

  it('purges during a flush that is dead-lettering: the count and the list agree afterwards', async () => {
    const writer = new RecordingWriter();
    const cache = await instance(uniquePrefix(), writer, { maxAttempts: 1 });
    writer.failing.add('p');
    writer.failing.add('q');
    await cache.set('p', 'P');
    await cache.flush();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inWriter = new Promise<void>((resolve) => (entered = resolve));
    writer.before = async () => {
      entered();
      await held;
    };
    await cache.set('q', 'Q');
    const flushing = cache.flush();
    await inWriter;
    const purged = cache.purgeDeadLetters();
    release();
    await Promise.all([flushing, purged]);
    writer.before = undefined;
    expect(await purged).toBeGreaterThanOrEqual(1);
    const count = await cache.deadLetterCount();
    expect((await cache.listDeadLetters()).length).toBe(count);
    expect(count).toBeLessThanOrEqual(1);
  });
});

describe('write-behind dead letters with the memory journal', () => {
  it('lists, re-drives and purges this instance’s dead letters', async () => {
    const stack = new CacheStack({ prefix: uniquePrefix(), jitter: 0 });
    redis.open.push(stack);
    const writer = new RecordingWriter();
    const cache = await new WriteBehindStrategy(stack).bind<string>({
      name: 'docs',
      writer,
      flushInterval: '1h',
      retryBase: '1ms',
      maxAttempts: 2,
    });
    try {
      writer.failing.add('x');
      writer.failing.add('y');
      await cache.set('x', 'X');
      await cache.set('y', 'Y');
      await cache.flush();
      expect(await cache.deadLetterCount()).toBe(2);
      const [x, y] = await cache.listDeadLetters();
      expect(x).toMatchObject({ key: 'x', kind: 'set', value: 'X', error: 'rejected x' });
      writer.failing.clear();
      expect(await cache.redriveDeadLetter(x?.id ?? '')).toBe('requeued');
      await expect(cache.redriveDeadLetter(x?.id ?? '')).rejects.toBeInstanceOf(UnknownDeadLetterError);
      await cache.flush();
      expect(writer.keys()).toEqual(['x']);
      expect(await cache.purgeDeadLetters(y?.id)).toBe(1);
      expect(await cache.deadLetterCount()).toBe(0);
    } finally {
      await cache.close();
    }
  });
});
