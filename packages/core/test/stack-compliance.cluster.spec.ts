import { randomBytes } from 'node:crypto';
import { startRedisCluster, type RedisCluster } from '@strata/testing';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, WriteBehindStrategy, type CacheStackOptions, type WriteRecord } from '../src/index.js';
import { clusterClient, clusterReady } from './redis-cluster.support.js';
import { runDependencyCompliance } from './dependency-compliance.suite.js';
import { runStackCompliance } from './store-compliance.suite.js';
import { countingLoader, eventually, uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

let cluster: RedisCluster;
/** One client shared by every stack of the file, as an app shares one between its stacks. */
let client: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
  client = clusterClient(cluster);
  await clusterReady(client);
});

afterAll(async () => {
  client?.disconnect();
  await cluster?.dispose();
});

async function connected(options: CacheStackOptions): Promise<CacheStack> {
  const stack = new CacheStack(options);
  expect(await stack.connect()).toBe(true);
  return stack;
}

runStackCompliance('Redis Cluster (L1 off)', (options) =>
  connected({ ...options, l1: false, redis: { client } }),
);

runStackCompliance('L1 + Redis Cluster', (options) => connected({ ...options, l1: {}, redis: { client } }));

runStackCompliance('Redis Cluster, values compressed from 64 characters and encrypted', (options) =>
  connected({
    ...options,
    l1: false,
    redis: { client },
    compression: { threshold: 64 },
    encryption: { keys: { k1: randomBytes(32) }, current: 'k1', namespaces: ['default'], compress: true },
  }),
);

runDependencyCompliance('Redis Cluster (L1 off)', (options) =>
  connected({ ...options, l1: false, redis: { client } }),
);
runDependencyCompliance('L1 + Redis Cluster', (options) =>
  connected({ ...options, l1: {}, redis: { client } }),
);

describe('CacheStack on a Redis Cluster', () => {
  it('spreads entries over the primaries and keeps every tag and namespace time in one slot', async () => {
    const stack = await connected({ prefix: uniquePrefix(), l1: false, redis: { client } });
    try {
      const keys = Array.from({ length: 30 }, (_, i) => `spread:${i}`);
      await Promise.all(keys.map((key, i) => stack.set(key, i, { tags: [`t${i % 5}`] })));
      await Promise.all(keys.map((key) => stack.set(key, 'catalog', { namespace: 'catalog' })));
      const owners = new Set<number>();
      for (const key of keys) owners.add((await cluster.primaryFor(engineOf(stack).keys.entry(key))).port);
      expect(owners.size).toBe(3);
      const timeKeys = [
        ...['t0', 't1', 't2', 't3', 't4'].map((tag) => engineOf(stack).keys.tag(tag)),
        engineOf(stack).keys.namespace('default'),
        engineOf(stack).keys.namespace('catalog'),
      ];
      const slots = await Promise.all(timeKeys.map((key) => client.cluster('KEYSLOT', key)));
      expect(new Set(slots).size).toBe(1);

      // One call each drops entries living on all three primaries.
      const live = async (namespace?: string): Promise<unknown[]> =>
        (await Promise.all(keys.map((key) => stack.get(key, { namespace })))).filter((v) => v !== undefined);
      await stack.invalidateTags(['t0', 't1', 't2', 't3', 't4']);
      expect(await live()).toEqual([]);
      expect(await live('catalog')).toHaveLength(30);
      await stack.delete(keys.slice(0, 20), { namespace: 'catalog' });
      expect(await live('catalog')).toEqual(Array.from({ length: 10 }, () => 'catalog'));
      await stack.invalidateNamespace('catalog');
      expect(await live('catalog')).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('checks tag times with a second command, and leaves the client open and without its listener on close', async () => {
    const listeners = client.listenerCount('error');
    const stacks = await Promise.all(
      Array.from({ length: 5 }, () => connected({ prefix: uniquePrefix(), l1: false, redis: { client } })),
    );
    const [stack] = stacks;
    if (stack === undefined) throw new Error('no stack');
    expect((engineOf(stack).l2 as unknown as { splitReads: boolean }).splitReads).toBe(true);
    await stack.set('k', 'v', { tags: ['t'] });
    expect(await stack.get('k', { tags: ['t'] })).toBe('v');
    await stack.invalidateTags(['t']);
    expect(await stack.get('k', { tags: ['t'] })).toBeUndefined();
    await Promise.all(stacks.map((s) => s.close()));
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    expect(client.listenerCount('error')).toBe(listeners);
  });

  it('journals write-behind keys too long for maxKeyLength in the slot of their partition', async () => {
    const stack = await connected({
      prefix: `${uniquePrefix()}-long-app-prefix`,
      maxKeyLength: 128,
      l1: false,
      redis: { client },
    });
    const errors: unknown[] = [];
    stack.events.on('l2:error', ({ error }) => errors.push(error));
    const written: WriteRecord<string>[] = [];
    const cache = await new WriteBehindStrategy(stack).bind<string>({
      name: 'a-rather-long-cache-name',
      writer: {
        writeMany: async (records) => void written.push(...records),
        deleteMany: async () => undefined,
      },
      flushInterval: '10s',
    });
    try {
      const keys = Array.from({ length: 8 }, (_, i) => `${'long-key-'.repeat(12)}${i}`);
      for (const key of keys) await cache.set(key, `v-${key}`);
      for (const key of keys) expect(await cache.get(key)).toBe(`v-${key}`);
      // Journaled, not written through: nothing reached the writer yet.
      expect(written).toEqual([]);
      expect(await cache.pending()).toBe(keys.length);
      await cache.flush();
      expect(written.map((record) => record.key).sort()).toEqual([...keys].sort());
      expect(errors).toEqual([]);
    } finally {
      await cache.close();
      await stack.close();
    }
  });

  it('journals a sensitive write-behind cache encrypted in every partition, and reads it back from another instance', async () => {
    const prefix = uniquePrefix();
    const encryption = { keys: { k1: randomBytes(32) }, current: 'k1' };
    const [one, two] = await Promise.all(
      [0, 1].map(() => connected({ prefix, l1: false, redis: { client }, encryption })),
    );
    const written: WriteRecord<{ card: string }>[] = [];
    const writer = {
      writeMany: async (records: readonly WriteRecord<{ card: string }>[]) => void written.push(...records),
      deleteMany: async () => undefined,
    };
    const config = { name: 'orders', writer, sensitive: true, flushInterval: '10s' } as const;
    const [a, b] = await Promise.all(
      [one, two].map((stack) => new WriteBehindStrategy(stack as CacheStack).bind<{ card: string }>(config)),
    );
    try {
      const keys = Array.from({ length: 8 }, (_, i) => `order-${i}`);
      for (const key of keys) await a?.set(key, { card: `4111-${key}` });
      // Entries, stream records and pending hashes hold ciphertext only, on every node.
      let seen = 0;
      for (const node of cluster.nodes) {
        const raw = new (await import('ioredis')).Redis(node.port, node.host);
        try {
          // Replicas too: they answer reads of what they hold once told READONLY.
          await raw.call('READONLY');
          for (const key of await raw.keys(`*${prefix}*`)) {
            const type = await raw.type(key);
            const text =
              type === 'string'
                ? ((await raw.get(key)) ?? '')
                : type === 'hash'
                  ? JSON.stringify(await raw.hgetall(key))
                  : type === 'stream'
                    ? JSON.stringify(await raw.xrange(key, '-', '+'))
                    : '';
            expect(text).not.toContain('4111');
            seen++;
          }
        } finally {
          raw.disconnect();
        }
      }
      expect(seen).toBeGreaterThan(keys.length);
      for (const key of keys) expect(await b?.get(key)).toEqual({ card: `4111-${key}` });
      await a?.flush();
      expect(written.map((record) => record.value.card).sort()).toEqual(
        keys.map((key) => `4111-${key}`).sort(),
      );
    } finally {
      await Promise.all([a?.close(), b?.close()]);
      await Promise.all([one?.close(), two?.close()]);
    }
  });
});

// Last in the file: it leaves one primary dead (its replica promoted in its place).
describe('CacheStack on a Redis Cluster during a failover', () => {
  it('falls back to the loader while a primary is down, keeps a delete made meanwhile, then uses its successor', async () => {
    const stack = await connected({
      prefix: uniquePrefix(),
      l1: false,
      redis: { client },
      breaker: { breakDuration: '200ms' },
    });
    try {
      const full = engineOf(stack).keys.entry('k');
      await stack.set('k', 'before');
      await stack.set('elsewhere', 'kept');
      const primary = await cluster.primaryFor(full);
      const other = await cluster.primaryFor(engineOf(stack).keys.entry('elsewhere'));
      const loader = countingLoader((call) => `loaded ${call}`);

      await primary.kill();
      // Waits for the promotion from now on (started while the killed node still owns its slots:
      // the cluster fails it over by itself within about cluster-node-timeout).
      const failingOver = cluster.failover(primary);
      const started = Date.now();
      expect(await stack.getOrLoad('k', loader.load)).toBe('loaded 1');
      await stack.delete('k'); // cannot reach Redis: remembered and replayed once it can
      expect(Date.now() - started).toBeLessThan(5_000);
      if (other.port !== primary.port)
        expect(await client.get(engineOf(stack).keys.entry('elsewhere'))).not.toBeNull();

      const successor = await failingOver;
      expect(await eventually(() => stack.l2Available, 10_000)).toBe(true);
      // The replica may hold 'before' (replication is asynchronous): the replayed delete keeps it out.
      expect(
        await eventually(async () => (await stack.getOrLoad('k', loader.load)) !== 'before', 10_000),
      ).toBe(true);
      expect(await eventually(async () => (await client.get(full)) !== null, 5_000)).toBe(true);
      expect((await cluster.primaryFor(full)).port).toBe(successor.port);
      const cached = await stack.get('k');
      expect(cached).toMatch(/^loaded \d+$/);
      expect(await stack.getOrLoad('k', loader.load)).toBe(cached);
    } finally {
      await stack.close();
    }
  });
});
