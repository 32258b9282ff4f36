import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CacheStack, type CacheStackOptions, type StrataEventMap } from '../src/index.js';
import { engineOf } from '../src/internal.js';
import { RedisLayer } from '../src/layers/redis.layer.js';
import { logCommands, type CommandLog } from './command-log.support.js';
import { callsSince, commandCalls } from './command-stats.support.js';
import { appInstances } from './instances.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { countingLoader, deferred, holdCall } from './support.js';

/**
 * The Redis round trips of a `getOrLoad` on one server, counted on the stack's own client (each
 * command awaited before the next is sent: one round trip each) and cross-checked with
 * `INFO commandstats`.
 */
describe('round trips of a cold miss (one Redis server)', () => {
  const redis = useRedisStacks();
  let admin: Redis;

  beforeEach(() => {
    admin = new Redis(redis.url);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await admin.config('SET', 'maxmemory', '0');
    admin.disconnect();
  });

  /** One instance with the Redis defaults (L1, bus, lease), its scripts loaded, its client logged. */
  async function instance(options: CacheStackOptions = {}): Promise<{ stack: CacheStack; log: CommandLog }> {
    const [stack] = await appInstances(redis.url, 1, redis.open, options);
    if (stack === undefined) throw new Error('no stack');
    const client = engineOf(stack).connection?.client;
    if (client === undefined) throw new Error('no client');
    // Each script's first call is an EVALSHA Redis does not know yet, then an EVAL: warm them.
    await stack.getOrLoad('warm-up', () => 'warm', { tags: ['t'] });
    await stack.set('warm-up', 'set');
    await stack.delete('warm-up');
    const log = logCommands(client);
    return { stack, log };
  }

  const leaseKeys = (stack: CacheStack): Promise<string[]> =>
    admin.keys(`${engineOf(stack).options.prefix}:~lease:*`);

  it('a cold miss with the lease costs three round trips: the read, the claim, the write that releases', async () => {
    const { stack, log } = await instance();
    const before = await commandCalls(admin);

    expect(await stack.getOrLoad('cold', () => ({ loaded: true }), { tags: ['t'] })).toStrictEqual({
      loaded: true,
    });

    expect(log.names()).toStrictEqual(['mget', 'evalsha', 'evalsha']);
    expect(log.maxInFlight()).toBe(1);
    // Redis ran two scripts (the INFO call of this check is the admin's, not the stack's).
    expect(await callsSince(admin, before, 'evalsha')).toBe(2);
    expect(await leaseKeys(stack)).toStrictEqual([]);
    expect(await admin.get(engineOf(stack).keys.entry('cold'))).toMatch(/^S1\|/);
  });

  it('an L2 hit is exactly one MGET, and no script', async () => {
    const [writer, reader] = await appInstances(redis.url, 2, redis.open);
    await writer!.set('stored', 'v', { tags: ['t'] });
    const log = logCommands(engineOf(reader!).connection!.client);
    const before = await commandCalls(admin);

    expect(await reader!.getOrLoad('stored', () => 'loaded', { tags: ['t'] })).toBe('v');

    expect(log.names()).toStrictEqual(['mget']);
    expect(await callsSince(admin, before, 'evalsha')).toBe(0);
  });

  it('lease: false costs the same three: the read, the token, the write', async () => {
    const { stack, log } = await instance({ lease: false });
    expect(await stack.getOrLoad('cold', () => 'v', { tags: ['t'] })).toBe('v');
    expect(log.names()).toStrictEqual(['mget', 'evalsha', 'evalsha']);
    expect(await stack.get('cold', { tags: ['t'] })).toBe('v');
  });

  it('a value not to be cached: the lease is released by a command of its own', async () => {
    const { stack, log } = await instance();
    expect(await stack.getOrLoad('uncached', () => 'v', { shouldCache: () => false })).toBe('v');
    expect(log.names()).toStrictEqual(['mget', 'evalsha', 'eval']);
    expect(await leaseKeys(stack)).toStrictEqual([]);
  });

  it('a write refused by a delete made during the load still releases the lease, in the same script', async () => {
    const { stack, log } = await instance();
    const [other] = await appInstances(redis.url, 1, redis.open, { prefix: engineOf(stack).options.prefix });
    const source = deferred<string>();
    const loading = stack.getOrLoad('k', () => source.promise);
    await vi.waitFor(async () => expect(await leaseKeys(stack)).toHaveLength(1));
    await other!.delete('k');
    source.resolve('read before the delete');

    expect(await loading).toBe('read before the delete');
    expect(log.names()).toStrictEqual(['mget', 'evalsha', 'evalsha']);
    expect(await leaseKeys(stack)).toStrictEqual([]);
    expect(await admin.get(engineOf(stack).keys.entry('k'))).toMatch(/^X\|/);
  });

  it('out of memory: the cold miss still gets the loader value, without a lease, in three round trips and no error', async () => {
    const { stack, log } = await instance();
    const errors: StrataEventMap['l2:error'][] = [];
    stack.events.on('l2:error', (event) => errors.push(event));
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    await expect(admin.set('oom:probe', 'x')).rejects.toThrow(/^OOM /);

    expect(await stack.getOrLoad('cold', () => 'loaded under OOM')).toBe('loaded under OOM');

    expect(log.names()).toStrictEqual(['mget', 'evalsha', 'evalsha']);
    expect(await leaseKeys(stack)).toStrictEqual([]);
    // Only the write was refused (a refusal: the breaker stays closed).
    expect(errors.map(({ operation }) => operation)).toStrictEqual(['write']);
    expect(stack.breakerState).toBe('closed');
  });

  it('a write that fails (Redis ran out of memory during the load) does not lose the release: it is sent apart', async () => {
    const { stack, log } = await instance();
    const source = deferred<string>();
    const loading = stack.getOrLoad('k', () => source.promise);
    await vi.waitFor(async () => expect(await leaseKeys(stack)).toHaveLength(1));
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    source.resolve('loaded');

    expect(await loading).toBe('loaded');
    // The write script failed at its SET, before its release: the release went as a command of its own.
    expect(log.names()).toStrictEqual(['mget', 'evalsha', 'evalsha', 'eval']);
    await admin.config('SET', 'maxmemory', '0');
    expect(await leaseKeys(stack)).toStrictEqual([]);
    expect(stack.breakerState).toBe('closed');
  });

  it("the claim finds a value the lease's holder stored after the miss read: no second load, no extra round trip", async () => {
    const [a, b] = await appInstances(redis.url, 2, redis.open);
    const log = logCommands(engineOf(b!).connection!.client);
    const aLoading = deferred();
    const aMayFinish = deferred();
    const aDone = deferred();
    const loader = countingLoader(async (call) => {
      if (call === 1) {
        aLoading.resolve();
        await aMayFinish.promise;
      }
      return `value ${call}`;
    });
    // B, between its miss read and its claim (the second claim): A stores and releases meanwhile.
    const bClaiming = holdCall(RedisLayer.prototype, 'claimMiss', 2, aDone.promise);
    const first = a!.getOrLoad('cold', loader.load);
    await aLoading.promise;
    const second = b!.getOrLoad('cold', loader.load);
    await bClaiming;
    log.reset();
    aMayFinish.resolve();
    expect(await first).toBe('value 1');
    aDone.resolve();

    expect(await second).toBe('value 1');
    expect(loader.calls()).toBe(1);
    // The claim took the free lease and returned the stored entry: its lease is released at once.
    expect(log.names()).toStrictEqual(['evalsha', 'eval']);
    expect(await leaseKeys(a!)).toStrictEqual([]);
  });
});
