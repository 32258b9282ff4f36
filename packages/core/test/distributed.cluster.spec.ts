import type { RedisClusterNode } from '@strata/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { CACHE_MISS } from '../src/internal.js';
import { useRedisCluster } from './redis-cluster.support.js';
import { countingLoader, eventually, sleep, uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

/** Bus delivery on a loaded CI machine, asserted with margin. */
const DELIVERY_MS = 500;

/**
 * The invalidation bus and cross-instance leases on a local Redis Cluster, through Strata's own
 * `redis.cluster` option (Strata creates and closes the Cluster client).
 */
describe('distributed caching on a Redis Cluster (redis.cluster)', () => {
  const suite = useRedisCluster();
  const { open } = suite;

  async function instances(
    count: number,
    options: CacheStackOptions = {},
    prefix = uniquePrefix(),
  ): Promise<CacheStack[]> {
    const stacks: CacheStack[] = [];
    for (let i = 0; i < count; i++) {
      const stack = new CacheStack({
        prefix,
        jitter: 0,
        breaker: { breakDuration: '200ms' },
        ...options,
        redis: { cluster: { nodes: suite.cluster.nodes }, commandTimeout: '1s' },
      });
      open.push(stack);
      expect(await stack.connect()).toBe(true);
      expect(engineOf(stack).bus?.connected).toBe(true);
      stacks.push(stack);
    }
    return stacks;
  }

  async function inL1(stack: CacheStack, key: string): Promise<unknown> {
    const filled = await eventually(
      async () => {
        await stack.get(key);
        return stack.peek(key) !== CACHE_MISS;
      },
      DELIVERY_MS,
      5,
    );
    if (!filled) throw new Error(`${key} did not reach L1`);
    return stack.peek(key);
  }

  it('carries sets, deletes and tag invalidations between instances, for keys on every primary', async () => {
    const [a, b] = await instances(2);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    const keys = Array.from({ length: 12 }, (_, i) => `product:${i}`);
    const primaries = new Set<number>();
    for (const key of keys) {
      primaries.add((await suite.cluster.primaryFor(engineOf(a).keys.entry(key))).port);
      await a.set(key, { v: 1 }, { tags: ['catalog'] });
      expect(await inL1(b, key)).toStrictEqual({ v: 1 });
    }
    expect(primaries.size).toBe(3);

    await a.set('product:0', { v: 2 });
    await a.delete('product:1');
    await a.invalidateTags(['catalog']);
    for (const key of keys) {
      expect(await eventually(() => b.peek(key) === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    }
    expect(await b.get('product:0')).toStrictEqual({ v: 2 });
    expect(await b.get('product:1')).toBeUndefined();
    expect(await b.get('product:5', { tags: ['catalog'] })).toBeUndefined();
  });

  it('loads a cold key once across three instances', async () => {
    const stacks = await instances(3);
    const loader = countingLoader(async (call) => {
      await sleep(100);
      return call;
    });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => stacks[i % 3]?.getOrLoad('cold', loader.load)),
    );
    expect(loader.calls()).toBe(1);
    expect(new Set(results)).toStrictEqual(new Set([1]));
  });

  it("the bus subscriber's node fails over: L1 cleared, calls keep answering, the bus comes back on another node", async () => {
    // A has no L1, so B's is the only subscription on the channel: the node holding it is B's.
    const prefix = uniquePrefix();
    const [a] = await instances(1, { l1: false }, prefix);
    const [b] = await instances(1, { bus: { outageTtl: '200ms' } }, prefix);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    await a.set('k', 'v1');
    expect(await inL1(b, 'k')).toBe('v1');
    const states: boolean[] = [];
    b.events.on('bus:state', ({ connected }) => states.push(connected));

    // The primary B's subscriber is connected to (it picks any node; make it a primary's).
    const node = await subscriberNode(b);
    if (node.role === 'primary') await suite.cluster.failover(node);
    else await node.kill();
    expect(await eventually(() => states.includes(false), 5_000, 10)).toBe(true);
    expect(b.peek('k')).toBe(CACHE_MISS);

    // Calls answer throughout (from Redis where its slots are served, else from the loader).
    const loader = countingLoader((call) => `loaded ${call}`);
    for (let i = 0; i < 10; i++)
      expect(typeof (await b.getOrLoad(`during:${i}`, loader.load))).toBe('string');

    expect(await eventually(() => engineOf(b).bus?.connected === true, 10_000, 20)).toBe(true);
    expect(states.at(-1)).toBe(true);
    expect(await eventually(() => a.l2Available && b.l2Available, 10_000, 20)).toBe(true);
    expect(await inL1(b, 'k')).toBe('v1');
    await a.set('k', 'v2');
    expect(await eventually(() => b.peek('k') === CACHE_MISS, DELIVERY_MS, 5)).toBe(true);
    expect(await b.get('k')).toBe('v2');
    if (node.role === 'replica') await node.restart();
  });

  /** The node holding the one subscription to `stack`'s bus channel (PUBSUB NUMSUB is per node). */
  async function subscriberNode(stack: CacheStack): Promise<RedisClusterNode> {
    const channel = engineOf(stack).options.bus?.channel;
    if (channel === undefined) throw new Error('no bus');
    const nodes = [...(await suite.cluster.primaries()), ...(await suite.cluster.replicas())];
    for (const node of nodes) {
      const client = new Redis(node.url);
      try {
        const reply = (await client.pubsub('NUMSUB', channel)) as unknown[];
        if (Number(reply[1]) > 0) return node;
      } finally {
        client.disconnect();
      }
    }
    throw new Error('no node holds the bus subscription');
  }
});
