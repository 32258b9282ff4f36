import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheStack, type StrataEventMap } from '../../src/index.js';
import { CACHE_MISS } from '../../src/internal.js';
import { CacheStoreError } from '../../src/errors/cache-store.error.js';
import { appInstances } from '../instances.support.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { countingLoader, deferred, eventually } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** Bus delivery between instances on one machine, asserted with margin. */
const DELIVERY_MS = 1_000;

/**
 * Redis out of memory (`maxmemory` below its usage, `noeviction`): it refuses every command that
 * could grow memory. Deletes and invalidations must still take effect everywhere (Redis, every
 * L1), writes and leases fall back, and nothing of it opens the breaker.
 */
describe('Redis out of memory (maxmemory with noeviction)', () => {
  const redis = useRedisStacks();
  let admin: Redis;

  beforeEach(async () => {
    admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
  });

  afterEach(async () => {
    await admin.config('SET', 'maxmemory', '0');
    admin.disconnect();
  });

  async function outOfMemory(): Promise<void> {
    await admin.config('SET', 'maxmemory', '1');
    // The premise: Redis now refuses writes.
    await expect(admin.set('oom:probe', 'x')).rejects.toThrow(/^OOM /);
  }

  async function freeMemory(): Promise<void> {
    await admin.config('SET', 'maxmemory', '0');
  }

  /** Three instances of one app: `writer` and `holder` with L1 (bus on), `reader` reading Redis only. */
  async function threeInstances(): Promise<{ writer: CacheStack; holder: CacheStack; reader: CacheStack }> {
    const [writer, holder] = await appInstances(redis.url, 2, redis.open);
    const reader = new CacheStack({
      prefix: engineOf(writer!).options.prefix,
      jitter: 0,
      l1: false,
      redis: { url: redis.url },
    });
    redis.open.push(reader);
    expect(await reader.connect()).toBe(true);
    return { writer: writer!, holder: holder!, reader };
  }

  /**
   * Fills `stack`'s L1 with `key` from Redis and returns what it holds (the writer's own bus
   * announcement may still arrive and drop a first copy).
   */
  async function intoL1(stack: CacheStack, key: string, namespace?: string): Promise<unknown> {
    await eventually(async () => {
      await stack.get(key, { namespace });
      return stack.peek(key, namespace) !== CACHE_MISS;
    }, DELIVERY_MS);
    return stack.peek(key, namespace);
  }

  function watch(stack: CacheStack): { errors: StrataEventMap['l2:error'][]; opened: () => boolean } {
    const errors: StrataEventMap['l2:error'][] = [];
    let opened = false;
    stack.events.on('l2:error', (event) => errors.push(event));
    stack.events.on('breaker:state', ({ state }) => {
      if (state === 'open') opened = true;
    });
    return { errors, opened: () => opened };
  }

  it('a delete stores its marker: no instance serves the old value, from Redis or from L1', async () => {
    const { writer, holder, reader } = await threeInstances();
    await writer.set('k', 'old');
    expect(await intoL1(holder, 'k')).toBe('old');
    expect(await reader.get('k')).toBe('old');
    const writerEvents = watch(writer);

    await outOfMemory();
    await writer.delete('k');

    expect(await admin.get(engineOf(writer).keys.entry('k'))).toMatch(/^X\|/);
    expect(await reader.get('k')).toBeUndefined();
    expect(await writer.get('k')).toBeUndefined();
    expect(await eventually(() => holder.peek('k') === CACHE_MISS, DELIVERY_MS)).toBe(true);
    expect(writerEvents.errors).toStrictEqual([]);
    expect(writer.breakerState).toBe('closed');
  });

  it('a tag invalidation and a namespace invalidation take effect in Redis and in every L1', async () => {
    const { writer, holder, reader } = await threeInstances();
    await writer.set('tagged', 'old', { tags: ['catalog'] });
    await writer.set('spaced', 'old', { namespace: 'products' });
    await writer.set('other', 'kept');
    expect(await intoL1(holder, 'tagged')).toBe('old');
    expect(await intoL1(holder, 'spaced', 'products')).toBe('old');

    await outOfMemory();
    await writer.invalidateTags(['catalog']);
    await writer.invalidateNamespace('products');

    expect(await reader.get('tagged')).toBeUndefined();
    expect(await reader.get('spaced', { namespace: 'products' })).toBeUndefined();
    expect(await reader.get('other')).toBe('kept');
    expect(
      await eventually(
        () => holder.peek('tagged') === CACHE_MISS && holder.peek('spaced', 'products') === CACHE_MISS,
        DELIVERY_MS,
      ),
    ).toBe(true);
    expect(writer.breakerState).toBe('closed');
  });

  it('a load that began before the delete cannot store its older value once memory frees', async () => {
    const { writer, reader } = await threeInstances();
    await writer.set('k', 'old');
    await reader.delete('k');
    const source = deferred<string>();
    // Misses, takes its token and lease, then waits in its loader.
    const loading = reader.getOrLoad('k', () => source.promise);
    expect(
      await eventually(
        async () => (await admin.keys(`${engineOf(writer!).options.prefix}:~lease:*`)).length > 0,
        2_000,
      ),
    ).toBe(true);

    await outOfMemory();
    await writer.delete('k');
    await freeMemory();
    source.resolve('read before the delete');
    expect(await loading).toBe('read before the delete');

    expect(await admin.get(engineOf(writer).keys.entry('k'))).toMatch(/^X\|/);
    expect(await writer.get('k')).toBeUndefined();
    expect(await reader.get('k')).toBeUndefined();
  });

  it('a set is a refused write: no error to the caller, no old value anywhere, no breaker trip', async () => {
    const { writer, holder, reader } = await threeInstances();
    await writer.set('k', 'v1');
    expect(await intoL1(holder, 'k')).toBe('v1');
    const { errors, opened } = watch(writer);

    await outOfMemory();
    for (let i = 2; i <= 6; i++) await writer.set('k', `v${i}`);

    // Not stored in Redis, but the value it replaces is gone from there and from every L1.
    expect(await reader.get('k')).toBeUndefined();
    expect(await eventually(() => holder.peek('k') === CACHE_MISS, DELIVERY_MS)).toBe(true);
    expect(['v6', undefined]).toContain(await writer.get('k'));
    expect(opened()).toBe(false);
    expect(writer.breakerState).toBe('closed');
    expect(writer.l2Available).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    for (const { operation, error } of errors) {
      expect(operation).toBe('write');
      expect(error).toBeInstanceOf(CacheStoreError);
      expect(error.message).toMatch(/OOM/);
    }
  });

  it('a set with dependencies (whose times cannot be extended) still evicts the value it replaces', async () => {
    const { writer, reader } = await threeInstances();
    await writer.set('product', 'p1');
    await writer.set('page', 'v1');
    await outOfMemory();
    const { value, dependencies } = await writer.trackDependencies(() => writer.get<string>('product'));
    expect(value).toBe('p1');
    await writer.set('page', `page of ${value}`, { dependsOn: dependencies });
    expect(await reader.get('page')).toBeUndefined();
    expect(writer.breakerState).toBe('closed');
  });

  it('a miss loads without a lease (SET NX refused) and without waiting, every time, and never trips the breaker', async () => {
    const { reader } = await threeInstances();
    const { opened } = watch(reader);
    await outOfMemory();
    const loader = countingLoader((call) => `loaded ${call}`);
    for (let i = 1; i <= 6; i++) {
      const started = performance.now();
      expect(await reader.getOrLoad('k', loader.load)).toBe(`loaded ${i}`);
      // Nothing waits for a lease nobody holds (a waiter would poll up to the lease's life).
      expect(performance.now() - started).toBeLessThan(500);
    }
    expect(await admin.keys(`${engineOf(reader).options.prefix}:~lease:*`)).toStrictEqual([]);
    expect(opened()).toBe(false);
    expect(reader.breakerState).toBe('closed');
  });

  it('a ticketed set and an ifUnchangedSince set fall back the same way', async () => {
    const { writer, reader } = await threeInstances();
    await writer.set('page', 'v1');
    await writer.set('plain', 'v0');
    const ticket = await writer.writeTicket('page');
    await outOfMemory();
    await writer.set('page', 'v2', { ticket });
    await writer.set('plain', 'v1', { ifUnchangedSince: await writer.writeToken('plain') });
    expect(await reader.get('page')).toBeUndefined();
    expect(await reader.get('plain')).toBeUndefined();
    expect(writer.breakerState).toBe('closed');
  });

  it('recovers once memory frees: loads are cached again and seen by every instance', async () => {
    const { writer, holder, reader } = await threeInstances();
    await outOfMemory();
    await writer.delete('k');
    await writer.invalidateTags(['t']);
    expect(await writer.getOrLoad('k', async () => 'uncached', { tags: ['t'] })).toBe('uncached');
    await freeMemory();

    const loader = countingLoader((call) => `loaded ${call}`);
    expect(await reader.getOrLoad('fresh', loader.load, { tags: ['t'] })).toBe('loaded 1');
    expect(await reader.getOrLoad('fresh', loader.load, { tags: ['t'] })).toBe('loaded 1');
    expect(loader.calls()).toBe(1);
    expect(await writer.get('fresh')).toBe('loaded 1');
    expect(await holder.get('fresh')).toBe('loaded 1');
    await writer.set('k', 'after');
    expect(await reader.get('k')).toBe('after');
    expect(writer.breakerState).toBe('closed');
  });
});
