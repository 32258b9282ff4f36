import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CacheStack } from '../src/index.js';
import { engineOf } from '../src/internal.js';
import { logCommands, type CommandLog } from './command-log.support.js';
import { useRedisCluster } from './redis-cluster.support.js';
import { uniquePrefix } from './support.js';

/**
 * The Redis round trips of a cold `getOrLoad` on a Redis Cluster, counted on the stack's own
 * client (docs/distributed.md). A script may only touch one slot: the lease joins the claim and
 * the write only when it shares the entry's slot, which it does when the key has a hash tag.
 */
describe('round trips of a cold miss (Redis Cluster)', () => {
  const suite = useRedisCluster();
  const { open } = suite;

  /** A stack with the Redis defaults (L1, bus, lease), its scripts loaded on every node. */
  async function instance(): Promise<{ stack: CacheStack; log: CommandLog }> {
    const stack = new CacheStack({
      prefix: uniquePrefix(),
      jitter: 0,
      redis: { cluster: { nodes: suite.cluster.nodes }, commandTimeout: '1s' },
    });
    open.push(stack);
    expect(await stack.connect()).toBe(true);
    const client = engineOf(stack).connection?.client;
    if (client === undefined) throw new Error('no client');
    // Each node learns a script at its first EVALSHA (then an EVAL): warm every node.
    for (let i = 0; i < 24; i++) {
      await stack.getOrLoad(`warm:${i}`, () => i);
      await stack.getOrLoad(`{warm:${i}}:tagged`, () => i);
    }
    return { stack, log: logCommands(client) };
  }

  const leaseKeys = async (stack: CacheStack): Promise<string[]> => {
    const found: string[] = [];
    for (const node of await suite.cluster.primaries()) {
      const admin = new Redis(node.url);
      found.push(...(await admin.keys(`${engineOf(stack).options.prefix}:~lease:*`)));
      admin.disconnect();
    }
    return found;
  };

  it('a key without a hash tag: five (the read, the lease, the claim, the write, the release)', async () => {
    const { stack, log } = await instance();
    expect(await stack.getOrLoad('product:42', () => 'loaded')).toBe('loaded');
    expect(log.names()).toStrictEqual(['get', 'set', 'evalsha', 'evalsha', 'eval']);
    expect(log.maxInFlight()).toBe(1);
    expect(await leaseKeys(stack)).toStrictEqual([]);
    expect(await stack.get('product:42')).toBe('loaded');
  });

  it('a key with a hash tag (the lease shares its slot): three, as on one server', async () => {
    const { stack, log } = await instance();
    expect(await stack.getOrLoad('{user:7}:profile', () => 'loaded')).toBe('loaded');
    expect(log.names()).toStrictEqual(['get', 'evalsha', 'evalsha']);
    expect(log.maxInFlight()).toBe(1);
    expect(await leaseKeys(stack)).toStrictEqual([]);
    expect(await stack.get('{user:7}:profile')).toBe('loaded');
  });
});
