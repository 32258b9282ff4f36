import { randomBytes } from 'node:crypto';
import { startRedis, type RedisServer } from '@strata/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStack, type CacheStackOptions } from '../src/index.js';
import { runDependencyCompliance } from './dependency-compliance.suite.js';
import { runStackCompliance } from './store-compliance.suite.js';
import { uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

let server: RedisServer;
/** A client whose `isCluster` flag is set: the only way to reach RedisLayer's split reads. */
let splitReadClient: Redis;

beforeAll(async () => {
  server = await startRedis();
  splitReadClient = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  // RedisLayer picks `splitReads` from `client.isCluster` and CacheStack exposes no option for it.
  // ioredis reads the flag only for pipelines and auto-pipelining, which Strata does not use.
  Object.defineProperty(splitReadClient, 'isCluster', { value: true });
  await new Promise<void>((resolve, reject) => {
    splitReadClient.once('ready', resolve);
    splitReadClient.once('error', reject);
  });
});

afterAll(async () => {
  splitReadClient?.disconnect();
  await server?.dispose();
});

async function connected(options: CacheStackOptions): Promise<CacheStack> {
  const stack = new CacheStack(options);
  expect(await stack.connect()).toBe(true);
  return stack;
}

runStackCompliance('memory only', async (options) => new CacheStack(options));

runStackCompliance('Redis only (L1 off)', (options) =>
  connected({ ...options, l1: false, redis: { url: server.url } }),
);

runStackCompliance('L1 + Redis', (options) => connected({ ...options, l1: {}, redis: { url: server.url } }));

runStackCompliance('Redis only, values compressed from 64 characters and encrypted', (options) =>
  connected({
    ...options,
    l1: false,
    redis: { url: server.url },
    compression: { threshold: 64 },
    encryption: { keys: { k1: randomBytes(32) }, current: 'k1', namespaces: ['default'], compress: true },
  }),
);

runStackCompliance('Redis with split reads (tag times checked by MGET, per-key deletes)', (options) =>
  connected({ ...options, l1: false, redis: { client: splitReadClient } }),
);

runDependencyCompliance('memory only', async (options) => new CacheStack(options));
runDependencyCompliance('Redis only (L1 off)', (options) =>
  connected({ ...options, l1: false, redis: { url: server.url } }),
);
runDependencyCompliance('L1 + Redis', (options) =>
  connected({ ...options, l1: {}, redis: { url: server.url } }),
);
runDependencyCompliance('Redis with split reads', (options) =>
  connected({ ...options, l1: false, redis: { client: splitReadClient } }),
);

describe('compliance variants', () => {
  it('build the layers they claim', async () => {
    const memory = new CacheStack({ prefix: uniquePrefix() });
    const redis = await connected({ prefix: uniquePrefix(), l1: false, redis: { url: server.url } });
    const both = await connected({ prefix: uniquePrefix(), redis: { url: server.url } });
    const split = await connected({ prefix: uniquePrefix(), l1: false, redis: { client: splitReadClient } });
    try {
      expect([engineOf(memory).l1 !== undefined, engineOf(memory).l2 !== undefined]).toStrictEqual([
        true,
        false,
      ]);
      expect([engineOf(redis).l1 !== undefined, engineOf(redis).l2 !== undefined]).toStrictEqual([
        false,
        true,
      ]);
      expect([engineOf(both).l1 !== undefined, engineOf(both).l2 !== undefined]).toStrictEqual([true, true]);
      expect(engineOf(split).l1).toBeUndefined();
      expect((engineOf(split).l2 as unknown as { splitReads: boolean }).splitReads).toBe(true);
      expect((engineOf(redis).l2 as unknown as { splitReads: boolean }).splitReads).toBe(false);

      // Split reads still honour tags written by a single-script reader, on the same data.
      const prefix = uniquePrefix();
      const writer = await connected({ prefix, l1: false, redis: { url: server.url } });
      const reader = await connected({ prefix, l1: false, redis: { client: splitReadClient } });
      await writer.set('k', 'v', { tags: ['t'] });
      expect(await reader.get('k')).toBe('v');
      await writer.invalidateTags(['t']);
      expect(await reader.get('k')).toBeUndefined();
      await Promise.all([writer.close(), reader.close()]);
    } finally {
      await Promise.all([memory.close(), redis.close(), both.close(), split.close()]);
    }
  });
});
