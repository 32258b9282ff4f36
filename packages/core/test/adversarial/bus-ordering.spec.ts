import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../../src/index.js';
import { CACHE_MISS } from '../../src/internal.js';
import { RedisLayer } from '../../src/layers/redis.layer.js';
import { appInstances } from '../instances.support.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { eventually } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** Bus delivery on a loaded machine: asserted with margin. */
const DELIVERY_MS = 1_000;

describe('L1 coherence when bus messages and Redis replies cross, or the channel carries garbage', () => {
  const redis = useRedisStacks();
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(redis.url);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(() => {
    admin.disconnect();
  });

  const two = async (options: CacheStackOptions = {}): Promise<[CacheStack, CacheStack]> => {
    const [a, b] = await appInstances(redis.url, 2, redis.open, options);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    return [a, b];
  };

  /** What Redis holds for `key`, read by a stack without L1. */
  async function inRedis(like: CacheStack, key: string): Promise<unknown> {
    const truth = new CacheStack({
      prefix: engineOf(like).options.prefix,
      l1: false,
      redis: { url: redis.url },
    });
    redis.open.push(truth);
    await truth.connect();
    return truth.get(key);
  }

  /** Waits until `stack` has heard a change of `probe` (it held it in L1, and no longer does). */
  async function heard(stack: CacheStack, probe: string): Promise<void> {
    expect(await eventually(() => stack.peek(probe) === CACHE_MISS, DELIVERY_MS, 2)).toBe(true);
  }

  /**
   * Runs `between` after `stack`'s next Redis write of `key` got its reply and before the stack
   * goes on with it (where its L1 write follows).
   */
  function afterWriteReply(stack: CacheStack, key: string, between: () => Promise<void>): void {
    const writeVersion = RedisLayer.prototype.writeVersion;
    const full = engineOf(stack).keys.entry(key);
    vi.spyOn(RedisLayer.prototype, 'writeVersion').mockImplementation(async function (
      this: RedisLayer,
      ...args: Parameters<RedisLayer['writeVersion']>
    ) {
      const version = await writeVersion.apply(this, args);
      if (this === engineOf(stack).l2 && args[0] === full) await between();
      return version;
    });
  }

  it('a delete heard on the bus before this instance got its own set reply: the set stays out of L1', async () => {
    const [a, b] = await two();
    await a.set('probe', 'p');
    afterWriteReply(a, 'k', async () => {
      await b.delete(['k', 'probe']); // one message: once A dropped probe, it heard k's delete
      await heard(a, 'probe');
    });
    await a.set('k', 'older');
    expect(await inRedis(a, 'k')).toBeUndefined();
    expect(a.peek('k')).toBe(CACHE_MISS);
  });

  it("a newer set heard on the bus before this instance's older set reply: L1 does not keep the older value", async () => {
    const [a, b] = await two();
    await a.set('probe', 'p');
    afterWriteReply(a, 'k', async () => {
      await b.set('k', 'newer');
      await b.delete('probe');
      await heard(a, 'probe');
    });
    await a.set('k', 'older');
    expect(await inRedis(a, 'k')).toBe('newer');
    expect(a.peek('k')).not.toBe('older');
    expect(await a.get('k')).toBe('newer');
  });

  it('a read whose reply comes after a delete was heard does not fill L1 with what it read', async () => {
    const [a, b] = await two();
    await b.set('k', 'v');
    await a.set('probe', 'p');
    const read = RedisLayer.prototype.read;
    const full = engineOf(a).keys.entry('k');
    vi.spyOn(RedisLayer.prototype, 'read').mockImplementation(async function (
      this: RedisLayer,
      ...args: Parameters<RedisLayer['read']>
    ) {
      const result = await read.apply(this, args);
      if (this === engineOf(a).l2 && args[0] === full) {
        await b.delete(['k', 'probe']);
        await heard(a, 'probe');
      }
      return result;
    });
    expect(await a.get('k')).toBe('v'); // what Redis held when it was read
    expect(a.peek('k')).toBe(CACHE_MISS);
  });

  it('a late message about an older change keeps the newer copy; one at its version drops it', async () => {
    const [a, b] = await two();
    await a.set('k', 'v1');
    expect(
      await eventually(async () => (await b.get('k')) === 'v1' && b.peek('k') === 'v1', DELIVERY_MS, 5),
    ).toBe(true);
    const raw = await admin.get(engineOf(a).keys.entry('k'));
    const version = Number(/^S1\|(\d+)\|/.exec(raw ?? '')?.[1]);
    expect(Number.isSafeInteger(version)).toBe(true);
    const channel = `${engineOf(a).options.prefix}:bus`;
    const late = { v: 2, s: 'another instance', k: [engineOf(a).keys.entry('k')], u: [String(version - 10)] };
    await b.set('probe-after-late', 'p');
    await admin.publish(channel, JSON.stringify(late));
    // A message after it, from another instance: once B dropped the probe, it handled the late one.
    await a.delete('probe-after-late');
    await heard(b, 'probe-after-late');
    expect(b.peek('k')).toBe('v1');
    await admin.publish(channel, JSON.stringify({ ...late, u: [String(version)] }));
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 2)).toBe(true);
  });

  it('garbage and forged messages: unreadable ones are counted and drop only what they name; none stores anything', async () => {
    const [a, b] = await two();
    const rejected: string[] = [];
    a.events.on('bus:rejected', ({ reason }) => rejected.push(reason));
    await a.set('kept', 'v');
    await a.set('named', 'v');
    await a.set('tagged', 'v', { tags: ['t'] });
    const channel = `${engineOf(a).options.prefix}:bus`;
    const named = engineOf(a).keys.entry('named');
    const garbage = [
      'not json',
      '',
      '\u0000\u0001',
      '[]',
      '42',
      'x'.repeat(100_000),
      JSON.stringify({
        v: 99,
        s: 'future',
        k: [named],
        t: [engineOf(a).keys.tag('t')],
        payload: { store: 'me' },
      }),
      JSON.stringify({ v: 2, s: 'x', k: [engineOf(a).keys.entry('absent')], u: ['1e99'] }),
      JSON.stringify({ v: 2, s: 'x', k: [engineOf(a).keys.entry('absent')], u: ['99999999999999999999'] }),
      // An own "__proto__" field (JSON.parse makes it one): a legal empty message, no pollution.
      `{"__proto__":{"k":[${JSON.stringify(named)}]},"s":"x"}`,
      JSON.stringify({ v: 2, s: { toString: 'x' }, k: [{ key: 'nope' }] }),
    ];
    for (const message of garbage) await admin.publish(channel, message);
    await a.set('after-garbage', 'p');
    await a.delete('probe'); // its own message comes back after the garbage: skipped, but handled in order
    // Another instance's message after the garbage: once A dropped the probe, it handled all of it.
    await b.delete('after-garbage');
    await heard(a, 'after-garbage');
    expect(await eventually(() => engineOf(a).bus?.rejectedMessages === 10, DELIVERY_MS, 5)).toBe(true);
    expect(rejected).toHaveLength(10);
    expect(({} as Record<string, unknown>)['k']).toBeUndefined();
    expect(a.peek('kept')).toBe('v');
    expect(a.peek('named')).toBe(CACHE_MISS);
    expect(a.peek('tagged', undefined)).toBe(CACHE_MISS);
    expect(a.peek('absent')).toBe(CACHE_MISS);
    // The stack goes on working: a version far in the future was not taken from a forged message.
    await a.set('absent', 'stored');
    expect(a.peek('absent')).toBe('stored');
    expect(engineOf(a).bus?.connected).toBe(true);
  });

  it('a bus gap: messages missed while resubscribing cannot leave an old copy (L1 cleared on drop and on return)', async () => {
    const [a, b] = await two({ bus: { outageTtl: '300ms' } });
    const states: boolean[] = [];
    a.events.on('bus:state', ({ connected }) => states.push(connected));
    await b.set('k', 'old');
    expect(
      await eventually(async () => (await a.get('k')) === 'old' && a.peek('k') === 'old', DELIVERY_MS, 5),
    ).toBe(true);
    await admin.client('KILL', 'TYPE', 'pubsub');
    expect(await eventually(() => states.includes(false), DELIVERY_MS, 2)).toBe(true);
    expect(a.peek('k')).toBe(CACHE_MISS);
    // Read again during the gap (kept at most outageTtl), then changed where A may not hear it.
    await a.get('k');
    await b.set('k', 'new');
    expect(await eventually(() => states.at(-1) === true, 5_000, 5)).toBe(true);
    expect(a.peek('k')).not.toBe('old');
    expect(await a.get('k')).toBe('new');
  });

  it("a load whose miss read came before another instance's set does not replace that set unannounced", async () => {
    // Without leases: with them, the read that follows taking the lease finds the set value.
    const [a, b] = await two({ lease: false });
    const read = RedisLayer.prototype.read;
    const full = engineOf(a).keys.entry('k');
    let once = true;
    vi.spyOn(RedisLayer.prototype, 'read').mockImplementation(async function (
      this: RedisLayer,
      ...args: Parameters<RedisLayer['read']>
    ) {
      const result = await read.apply(this, args);
      if (this === engineOf(a).l2 && args[0] === full && once) {
        once = false;
        await b.set('k', 'set by b'); // after A's miss, before A takes its write token
      }
      return result;
    });
    expect(await a.getOrLoad('k', () => 'loaded by a')).toBe('loaded by a');
    expect(await inRedis(a, 'k')).toBe('set by b');
    expect(b.peek('k')).toBe('set by b');
  });

  it('a set whose Redis reply failed (it may have run): evicted everywhere, and kept in its own L1 only briefly', async () => {
    const [a, b] = await two({ bus: { outageTtl: '200ms' } });
    const writeVersion = RedisLayer.prototype.writeVersion;
    vi.spyOn(RedisLayer.prototype, 'writeVersion').mockImplementation(async function (
      this: RedisLayer,
      ...args: Parameters<RedisLayer['writeVersion']>
    ) {
      const version = await writeVersion.apply(this, args);
      if (this !== engineOf(a).l2) return version;
      // The write landed; B takes it from Redis before A learns that its reply was lost.
      expect(await b.get('k')).toBe('unconfirmed');
      expect(b.peek('k')).toBe('unconfirmed');
      throw new Error('Command timed out');
    });
    await a.set('k', 'unconfirmed');
    vi.restoreAllMocks();
    expect(a.peek('k')).toBe('unconfirmed');
    // What the failed set replaced is evicted (replayed before A's next command), and announced.
    expect(await inRedis(a, 'k')).toBeUndefined();
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    // No version orders A's own copy against later changes: it lives as during a bus outage.
    expect(await eventually(() => a.peek('k') === CACHE_MISS, DELIVERY_MS, 10)).toBe(true);
  });

  it('an announcement whose PUBLISH failed is retried on its own, without waiting for another write', async () => {
    const [a, b] = await two();
    await a.set('k', 'old', { tags: ['group'] });
    expect(
      await eventually(async () => (await b.get('k')) === 'old' && b.peek('k') === 'old', DELIVERY_MS, 5),
    ).toBe(true);
    const client = engineOf(a).redisClient;
    if (client === undefined) throw new Error('Redis client expected');
    const publish = client.publish.bind(client);
    let failures = 0;
    vi.spyOn(client, 'publish').mockImplementation(((...args: Parameters<typeof publish>) => {
      if (failures++ === 0) return Promise.reject(new Error('Command timed out'));
      return publish(...args);
    }) as typeof client.publish);
    // A tag invalidation: a set or a delete on one Redis server announces itself inside its own
    // script call.
    await a.invalidateTags(['group']); // its announcement fails; no other write follows
    expect(failures).toBe(1);
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get('k')).toBeUndefined();
  });
});
