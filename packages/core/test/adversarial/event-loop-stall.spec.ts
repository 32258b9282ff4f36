import { describe, expect, it } from 'vitest';
import { CacheStack } from '../../src/index.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** Blocks this process's event loop for `ms` (a long GC pause, a CPU-bound request). */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('a stalled event loop (GC pause, CPU-bound work) while Redis answers in time', () => {
  const redis = useRedisStacks();

  it.each([
    ['Redis only (L1 off)', false as const],
    ['L1 + Redis', {}],
  ])('%s: a reply that arrived during the stall is read, not timed out', async (_name, l1) => {
    const writer = new CacheStack({ prefix: uniquePrefix(), redis: { url: redis.url } });
    redis.open.push(writer);
    expect(await writer.connect()).toBe(true);
    const prefix = engineOf(writer).options.prefix;
    const reader = new CacheStack({ prefix, l1, redis: { url: redis.url, commandTimeout: 100 } });
    redis.open.push(reader);
    expect(await reader.connect()).toBe(true);
    await writer.set('k', 'v');
    const errors: unknown[] = [];
    reader.events.on('l2:error', ({ error }) => errors.push(error));
    for (let round = 0; round < 5; round++) {
      const read = reader.get(`k`);
      // Redis answers within microseconds; the process only sees it once the loop is free again.
      stall(300);
      expect(await read).toBe('v');
      await reader.delete(`other-${round}`);
    }
    expect(errors).toEqual([]);
    expect(reader.l2Available).toBe(true);
  });
});
