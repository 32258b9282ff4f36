import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteBehindStrategy, type CacheStack, type CacheWriter } from '../../src/index.js';
import { CACHE_MISS, type RedisWriteBehindCache } from '../../src/internal.js';
import { appInstances } from '../instances.support.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { eventually } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** Bus delivery on a loaded machine: asserted with margin. */
const DELIVERY_MS = 1_000;
/** How far ahead the clock of the node that wrote the entry ran: a minute. */
const AHEAD_US = 60_000_000;

/**
 * An entry's version is Redis `TIME` on its node. After a failover to a replica whose clock is
 * behind the old primary's (or after the node's clock is stepped back), the key holds records
 * versioned in this node's future. A change made now must still be newer than them: else its
 * announcement tells the other instances to keep their copies of the old value.
 */
describe('a key written by a node whose clock ran ahead', () => {
  const redis = useRedisStacks();
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redis.url);
  });
  afterAll(() => admin.disconnect());

  /** Moves the version of the record under `key` `AHEAD_US` into the future, as such a node wrote it. */
  async function writtenAhead(stack: CacheStack, key: string, namespace?: string): Promise<number> {
    const full = engineOf(stack).keys.entry(key, namespace);
    const raw = await admin.get(full);
    const match = /^([SX]1?)\|(\d+)/.exec(raw ?? '');
    if (raw === null || match === null) throw new Error(`no record under ${full}`);
    const ahead = Number(match[2]) + AHEAD_US;
    await admin.set(full, `${match[1] ?? ''}|${ahead}${raw.slice(match[0].length)}`, 'KEEPTTL');
    return ahead;
  }

  /** Two instances; `b` holds `key` (written ahead) and a probe in L1. */
  async function setUp(key: string): Promise<[CacheStack, CacheStack]> {
    const [a, b] = await appInstances(redis.url, 2, redis.open);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    await a.set(key, 'old');
    await writtenAhead(a, key);
    await a.set('probe', 1);
    expect(await b.get(key)).toBe('old');
    expect(await b.get('probe')).toBe(1);
    return [a, b];
  }

  /** Waits until `b` has heard `a`'s change of the probe, sent after the change under test. */
  async function heardAfter(a: CacheStack, b: CacheStack): Promise<void> {
    await a.delete('probe');
    expect(await eventually(() => b.peek('probe') === CACHE_MISS, DELIVERY_MS, 2)).toBe(true);
  }

  it('a delete made now drops the other instances’ copies, and Redis misses', async () => {
    const [a, b] = await setUp('k');
    await a.delete('k');
    await heardAfter(a, b);
    expect(b.peek('k')).toBe(CACHE_MISS);
    expect(await b.get('k')).toBeUndefined();
    expect(await a.get('k')).toBeUndefined();
  });

  it('a set made now replaces the other instances’ copies', async () => {
    const [a, b] = await setUp('k');
    await a.set('k', 'new');
    await heardAfter(a, b);
    expect(await b.get('k')).toBe('new');
    expect(await a.get('k')).toBe('new');
  });

  it('its versions never go backwards: a set or a delete is newer than the record it replaces', async () => {
    const [a] = await setUp('k');
    const full = engineOf(a).keys.entry('k');
    const version = async (): Promise<number> =>
      Number(/^[SX]1?\|(\d+)/.exec((await admin.get(full)) ?? '')?.[1]);
    const ahead = await version();
    await a.set('k', 'new');
    const afterSet = await version();
    expect(afterSet).toBeGreaterThan(ahead);
    await a.delete('k');
    expect(await version()).toBeGreaterThan(afterSet);
  });

  it('write-behind: a set or delete journaled now drops the other instances’ copies', async () => {
    const [a, b] = await appInstances(redis.url, 2, redis.open);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    const writer: CacheWriter<string> = { writeMany: async () => {}, deleteMany: async () => {} };
    const bind = async (stack: CacheStack): Promise<RedisWriteBehindCache<string>> =>
      (await new WriteBehindStrategy(stack).bind<string>({
        name: 'docs',
        writer,
        flushInterval: '1h',
      })) as RedisWriteBehindCache<string>;
    const [docsA, docsB] = [await bind(a), await bind(b)];
    try {
      const key = docsA.cacheKey('d');
      for (const [change, expected] of [
        [() => docsA.set('d', 'new'), 'new'],
        [() => docsA.delete('d'), undefined],
      ] as const) {
        await docsA.set('d', 'old');
        await writtenAhead(a, key, 'docs');
        expect(await docsB.get('d')).toBe('old');
        await change();
        const probe = docsA.cacheKey('probe');
        await docsA.set('probe', 'p');
        expect(await docsB.get('probe')).toBe('p');
        await docsA.delete('probe');
        expect(await eventually(() => b.peek(probe, 'docs') === CACHE_MISS, DELIVERY_MS, 2)).toBe(true);
        expect(await docsB.get('d')).toBe(expected);
      }
    } finally {
      await Promise.all([docsA.close(), docsB.close()]);
    }
  });

  it('a key holding another type (not written by Strata) is still replaced by a set and a delete', async () => {
    const [a] = await appInstances(redis.url, 1, redis.open);
    if (a === undefined) throw new Error('a stack expected');
    await admin.hset(engineOf(a).keys.entry('h'), 'field', 'value');
    await a.set('h', 'mine');
    expect(await admin.type(engineOf(a).keys.entry('h'))).toBe('string');
    await admin.del(engineOf(a).keys.entry('h'));
    await admin.hset(engineOf(a).keys.entry('h'), 'field', 'value');
    await a.delete('h');
    expect(await admin.type(engineOf(a).keys.entry('h'))).toBe('string');
    expect(await a.get('h')).toBeUndefined();
  });

  it('a load after such a delete never brings the old value back', async () => {
    const [a, b] = await setUp('k');
    await a.delete('k');
    await writtenAhead(a, 'k');
    await heardAfter(a, b);
    let loads = 0;
    expect(await b.getOrLoad('k', () => `loaded ${++loads}`)).toMatch(/^loaded /);
    expect(await a.getOrLoad('k', () => `loaded ${++loads}`)).toMatch(/^loaded /);
    // A set made now is stored and read everywhere.
    await a.set('k', 'new');
    await heardAfter(a, b);
    expect(await b.get('k')).toBe('new');
  });
});
