import { seededRandom } from '@strata/testing';
import { describe, expect, it } from 'vitest';
import { CacheStack } from '../../src/index.js';
import { CACHE_MISS } from '../../src/internal.js';
import { appInstances } from '../instances.support.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { engineOf } from '../../src/internal.js';

/**
 * After the last call: bus delivery on a loaded machine, and past `bus.outageTtl` (200 ms here),
 * the longest an L1 copy lives when its Redis command timed out under that load.
 */
const QUIESCENCE_MS = 300;
const KEYS = 100;
const OPS_PER_KEY = 5;
const RUNS = 20;

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

describe('L1 coherence under concurrent writes from several instances', () => {
  const redis = useRedisStacks();

  it(`${RUNS} runs of shuffled set/delete/getOrLoad over ${KEYS} keys on 3 instances: no L1 disagrees with Redis`, async () => {
    const stacks = await appInstances(redis.url, 3, redis.open, { bus: { outageTtl: '200ms' } });
    const [first] = stacks;
    if (first === undefined) throw new Error('stacks expected');
    // What Redis holds, read without an L1.
    const truth = new CacheStack({
      prefix: engineOf(first).options.prefix,
      l1: false,
      redis: { url: redis.url },
    });
    redis.open.push(truth);
    await truth.connect();
    const divergences: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const next = seededRandom(run + 1);
      const ops: (() => Promise<unknown>)[] = [];
      for (let k = 0; k < KEYS; k++) {
        const key = `r${run}:k${k}`;
        for (let o = 0; o < OPS_PER_KEY; o++) {
          const stack = stacks[Math.floor(next() * stacks.length)] as CacheStack;
          const kind = next();
          const value = `${key}:${o}`;
          if (kind < 0.4) ops.push(() => stack.set(key, value));
          else if (kind < 0.7) ops.push(() => stack.delete(key));
          else ops.push(() => stack.getOrLoad(key, () => `${value}:loaded`));
        }
      }
      await Promise.all(shuffle(ops, next).map((op) => op()));
      await new Promise((resolve) => setTimeout(resolve, QUIESCENCE_MS));
      for (let k = 0; k < KEYS; k++) {
        const key = `r${run}:k${k}`;
        const held = await truth.get(key);
        stacks.forEach((stack, index) => {
          const local = stack.peek(key);
          if (local !== CACHE_MISS && local !== held)
            divergences.push(
              `run ${run}, ${key}: instance ${index} L1 ${String(local)}, Redis ${String(held)}`,
            );
        });
      }
    }
    expect(divergences).toStrictEqual([]);
  }, 60_000);
});
