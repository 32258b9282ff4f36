import { describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../../src/index.js';
import { CACHE_MISS } from '../../src/internal.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { eventually, uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** Bus delivery on a loaded machine: asserted with margin. */
const DELIVERY_MS = 1_000;

const redis = useRedisStacks();

const SHAPES: readonly [string, (url: string) => CacheStackOptions][] = [
  ['memory only', () => ({})],
  ['Redis only (L1 off)', (url) => ({ l1: false, redis: { url } })],
  ['L1 + Redis', (url) => ({ redis: { url } })],
];

type Change = 'delete' | 'tag' | 'namespace' | 'set';
const CHANGES: readonly Change[] = ['delete', 'tag', 'namespace', 'set'];

/**
 * A loader reads the source before a change and returns after it: its value is older than the
 * change and must never be served after it, from this instance or another, whichever made the change.
 */
describe.each(SHAPES)('a change made while a load runs: %s', (_name, shape) => {
  async function open(prefix: string): Promise<CacheStack> {
    const stack = new CacheStack({ prefix, jitter: 0, ...shape(redis.url) });
    redis.open.push(stack);
    expect(await stack.connect()).toBe(true);
    return stack;
  }

  it.each(['this instance', 'another instance'])(
    'made on %s: the loaded value is never served after it',
    async (where) => {
      const prefix = uniquePrefix();
      const loader = await open(prefix);
      const distributed = shape(redis.url).redis !== undefined;
      const changer = distributed && where === 'another instance' ? await open(prefix) : loader;
      for (const change of CHANGES) {
        const key = `k-${change}`;
        let release = (): void => {};
        const gate = new Promise<void>((resolve) => (release = resolve));
        let started = (): void => {};
        const began = new Promise<void>((resolve) => (started = resolve));
        const load = loader.getOrLoad(
          key,
          async () => {
            started();
            await gate;
            return 'old';
          },
          { tags: ['t'], ttl: '1h' },
        );
        await began;
        if (change === 'delete') await changer.delete(key);
        else if (change === 'tag') await changer.invalidateTags(['t']);
        else if (change === 'namespace') await changer.invalidateNamespace('default');
        else await changer.set(key, 'new');
        release();
        expect(await load).toBe('old');
        if (changer !== loader && engineOf(loader).l1 !== undefined) {
          // Announcements arrive in order: once a later one is heard, this change was too.
          await loader.set('probe', 1);
          await changer.delete('probe');
          expect(await eventually(() => loader.peek('probe') === CACHE_MISS, DELIVERY_MS, 2)).toBe(true);
        }
        const expected = change === 'set' ? 'new' : undefined;
        expect(await loader.get(key), change).toBe(expected);
        expect(await changer.get(key), change).toBe(expected);
        expect(await loader.getOrLoad(key, () => 'fresh'), change).toBe(expected ?? 'fresh');
      }
    },
  );
});
