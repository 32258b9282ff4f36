import { describe, expect, it } from 'vitest';
import { CacheStack } from '../src/index.js';
import { CACHE_MISS } from '../src/internal.js';
import { appInstances } from './instances.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { countingLoader, deferred, eventually } from './support.js';

/** Bus delivery between instances on one machine, asserted with margin. */
const DELIVERY_MS = 1_000;

/**
 * Single-flight and invalidations: a read that arrives while a load of its key runs joins it,
 * unless the key, one of the load's tags or its namespace was invalidated since the load began
 * (here or, heard on the bus, by another instance). The load computed its value from before the
 * invalidation; a read after it must not get that value.
 */
describe('a read after an invalidation does not join a load that began before it', () => {
  const redis = useRedisStacks();

  /** A loader whose first call waits for `release` and returns `v1`; later calls return `v<n>` at once. */
  function heldLoader() {
    const release = deferred();
    const loader = countingLoader(async (call) => {
      if (call === 1) await release.promise;
      return `v${call}`;
    });
    return { release, loader };
  }

  it('in one instance: reads join a running load, but not once its tag, namespace or key was invalidated', async () => {
    const stack = new CacheStack();
    redis.open.push(stack);
    const invalidations: [string, () => Promise<void>][] = [
      ['tag', () => stack.invalidateTags(['t'])],
      ['namespace', () => stack.invalidateNamespace('ns')],
      ['key', () => stack.delete('k', { namespace: 'ns' })],
    ];
    for (const [what, invalidate] of invalidations) {
      const { release, loader } = heldLoader();
      const options = { tags: ['t'], namespace: 'ns' };
      const first = stack.getOrLoad('k', loader.load, options);
      expect(await eventually(() => loader.calls() === 1, DELIVERY_MS, 1)).toBe(true);
      const joined = stack.getOrLoad('k', loader.load, options);
      await invalidate();
      expect(await stack.getOrLoad('k', loader.load, options), what).toBe('v2');
      release.resolve();
      expect(await first).toBe('v1');
      expect(await joined).toBe('v1');
      expect(loader.calls()).toBe(2);
      // The load that began before the invalidation did not store its result.
      expect(stack.peek('k', 'ns'), what).toBe('v2');
      await stack.delete('k', { namespace: 'ns' });
    }
  });

  it('across instances: once the bus brought the other instance invalidation, a read starts its own load', async () => {
    // The cross-instance lease is off: a load after the invalidation would otherwise wait for the
    // held one's lease (its own mechanism, docs/distributed.md); this looks at single-flight alone.
    const [a, b] = await appInstances(redis.url, 2, redis.open, { lease: false });
    const { release, loader } = heldLoader();
    const first = a!.getOrLoad('k', loader.load, { tags: ['t'] });
    expect(await eventually(() => loader.calls() === 1, DELIVERY_MS, 1)).toBe(true);
    // A probe entry of the same tag in A's L1 shows when the bus message has arrived.
    await a!.set('probe', 1, { tags: ['t'] });
    await b!.invalidateTags(['t']);
    expect(await eventually(() => a!.peek('probe') === CACHE_MISS, DELIVERY_MS, 1)).toBe(true);
    expect(await a!.getOrLoad('k', loader.load, { tags: ['t'] })).toBe('v2');
    release.resolve();
    expect(await first).toBe('v1');
  });
});
