import { describe, expect, it } from 'vitest';
import { CacheStack, StrataConfigError } from '../src/index.js';
import { CACHE_MISS, engineOf } from '../src/internal.js';

/** A clock a test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

describe('the clock option', () => {
  it('drives freshness and L1 expiry: an entry expires when the clock passes its TTL, not before', async () => {
    const clock = manualClock();
    const stack = new CacheStack({ prefix: 'clock', clock, jitter: 0 });
    await stack.set('k', 'v', { ttl: '10s' });
    clock.advance(9_999);
    expect(stack.peek('k')).toBe('v');
    clock.advance(1);
    expect(stack.peek('k')).toBe(CACHE_MISS);
    expect(await stack.get('k')).toBeUndefined();
    await stack.close();
  });

  it('serves an expired entry inside the stale-while-revalidate window measured on the clock', async () => {
    const clock = manualClock();
    const stack = new CacheStack({ prefix: 'clock', clock, jitter: 0, staleWhileRevalidate: '1m' });
    let calls = 0;
    const load = (): Promise<number> => stack.getOrLoad('k', () => ++calls, { ttl: '1s' });
    expect(await load()).toBe(1);
    clock.advance(30_000);
    // Stale but inside the window: the old value at once, a refresh behind it.
    expect(await load()).toBe(1);
    await expect.poll(() => calls).toBe(2);
    await stack.close();
  });

  it('is the engine clock, and refuses a value without now()', () => {
    const clock = manualClock();
    expect(engineOf(new CacheStack({ clock })).clock).toBe(clock);
    expect(() => new CacheStack({ clock: {} as never })).toThrow(StrataConfigError);
  });
});
