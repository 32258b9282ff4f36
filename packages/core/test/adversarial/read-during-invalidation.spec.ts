import { afterEach, describe, expect, it, vi } from 'vitest';
import { CacheStack } from '../../src/index.js';
import { CACHE_MISS, confirmInvalidation } from '../../src/internal.js';
import { RedisLayer } from '../../src/layers/redis.layer.js';
import { appInstances } from '../instances.support.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { deferred, holdCall } from '../support.js';

/**
 * An invalidation drops this instance's L1 copies first, then stores its delete markers or tag
 * times in Redis. A read of the same instance in between misses L1 and finds the old entry in
 * Redis, still valid there: it must not leave that old value in L1 once the invalidation has
 * resolved (no other instance's announcement would drop it: an instance skips its own).
 */
describe('a read on the invalidating instance while its invalidation reaches Redis', () => {
  const redis = useRedisStacks();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function oneInstance(): Promise<CacheStack> {
    const [stack] = await appInstances(redis.url, 1, redis.open);
    return stack!;
  }

  const cases: [string, 'invalidate' | 'deleteVersions', (stack: CacheStack) => Promise<void>][] = [
    ['invalidateTags', 'invalidate', (stack) => stack.invalidateTags(['t'])],
    ['invalidateNamespace', 'invalidate', (stack) => stack.invalidateNamespace('default')],
    ['delete', 'deleteVersions', (stack) => stack.delete('k')],
    ['confirmInvalidation (tags)', 'invalidate', (stack) => confirmInvalidation(stack, { tags: ['t'] })],
    [
      'confirmInvalidation (keys)',
      'deleteVersions',
      (stack) => confirmInvalidation(stack, { keys: [{ key: 'k' }] }),
    ],
  ];

  it.each(cases)('%s: the old value does not stay in L1', async (_name, method, invalidate) => {
    const stack = await oneInstance();
    await stack.set('k', 'old', { tags: ['t'] });
    expect(stack.peek('k')).toBe('old');
    const release = deferred();
    const held = holdCall(RedisLayer.prototype, method, 1, release.promise);
    const invalidation = invalidate(stack);
    await held;
    // L1 is dropped, Redis not yet: this read gets the old entry from Redis.
    expect(stack.peek('k')).toBe(CACHE_MISS);
    expect(await stack.get('k')).toBe('old');
    // … but L1 does not take it back: a page computed now from L1 would outlive the invalidation.
    expect(stack.peek('k')).toBe(CACHE_MISS);
    release.resolve();
    await invalidation;
    expect(stack.peek('k')).toBe(CACHE_MISS);
    expect(await stack.getOrLoad('k', () => 'new', { tags: ['t'] })).toBe('new');
  });
});
