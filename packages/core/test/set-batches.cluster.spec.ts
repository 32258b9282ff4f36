import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CacheStack } from '../src/index.js';
import { CACHE_MISS, engineOf } from '../src/internal.js';
import { scriptCalls } from './command-stats.support.js';
import { useRedisCluster } from './redis-cluster.support.js';
import { eventually, uniquePrefix } from './support.js';

/** Bus delivery on a loaded machine: asserted with margin. */
const DELIVERY_MS = 1_000;
const SETS = 40;

describe('CacheStack.set on a Redis Cluster: concurrent sets of one slot share a script call', () => {
  const suite = useRedisCluster();
  const { open } = suite;

  async function two(): Promise<[CacheStack, CacheStack]> {
    const prefix = uniquePrefix();
    const stacks = [0, 1].map(
      () =>
        new CacheStack({
          prefix,
          jitter: 0,
          redis: { cluster: { nodes: suite.cluster.nodes }, commandTimeout: '1s' },
        }),
    );
    open.push(...stacks);
    for (const stack of stacks) {
      expect(await stack.connect()).toBe(true);
      expect(engineOf(stack).bus?.connected).toBe(true);
    }
    const [a, b] = stacks;
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    return [a, b];
  }

  it('stores each set with its change time in per-slot calls; peers drop their copies', async () => {
    const [a, b] = await two();
    const { keys: keyBuilder } = engineOf(a);
    // One hash tag: every key in one slot, so on one primary; not the one of the change times,
    // whose scripts would be counted too.
    const timesOn = (await suite.cluster.primaryFor(keyBuilder.keyDependency(keyBuilder.entry('x')))).id;
    let tag = 0;
    while ((await suite.cluster.primaryFor(keyBuilder.entry(`{cart${tag}}:0`))).id === timesOn) tag++;
    const keys = Array.from({ length: SETS }, (_, i) => `{cart${tag}}:${i}`);
    const primary = await suite.cluster.primaryFor(keyBuilder.entry(keys[0] ?? ''));
    const node = new Redis(primary.url);
    try {
      for (const key of keys) await b.set(key, 'old');
      for (const key of keys) {
        await b.get(key);
        expect(b.peek(key)).toBe('old');
      }
      const before = await scriptCalls(node);
      await Promise.all(keys.map((key, i) => a.set(key, `new ${i}`)));
      expect((await scriptCalls(node)) - before).toBeLessThanOrEqual(SETS / 10);
      expect(await eventually(() => keys.every((key) => b.peek(key) === CACHE_MISS), DELIVERY_MS, 5)).toBe(
        true,
      );
      for (const [i, key] of keys.entries()) {
        expect(await b.get(key)).toBe(`new ${i}`);
        const full = keyBuilder.entry(key);
        const version = Number(/^S1\|(\d+)\|/.exec((await node.get(full)) ?? '')?.[1]);
        const timeNode = new Redis((await suite.cluster.primaryFor(keyBuilder.keyDependency(full))).url);
        // The change time is written after the entry's call returned: at or after its version.
        expect(Number(await timeNode.get(keyBuilder.keyDependency(full)))).toBeGreaterThanOrEqual(version);
        timeNode.disconnect();
      }
    } finally {
      node.disconnect();
    }
  });
});
