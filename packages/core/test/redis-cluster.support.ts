import { startRedisCluster, type RedisCluster } from '@strata/testing';
import type { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { CacheStack } from '../src/index.js';
import { createClusterClient } from '../src/redis/redis-client.factory.js';

/**
 * A `Cluster` client over a test cluster, made by the factory Strata uses for `redis.cluster`
 * (no offline queue, bounded commands and connects, no command retries, background
 * reconnection), for tests that pass it as `redis.client`. Strata never closes a client it is
 * given: call `disconnect()`.
 */
export function clusterClient(cluster: RedisCluster, commandTimeoutMs = 1_000): Cluster {
  const client = createClusterClient({ nodes: cluster.nodes }, { commandTimeoutMs, connectTimeoutMs: 2_000 });
  // Stacks report errors through their own listener; this one keeps ioredis from printing them.
  client.on('error', () => undefined);
  return client;
}

/** Resolves once `client` is ready for commands (it connects on creation). */
export async function clusterReady(client: Cluster): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Cluster client did not become ready')), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A suite's Redis Cluster, and the stacks its current test opened (closed after each test). */
export interface ClusterSuite {
  /** The cluster, started in `beforeAll`. */
  readonly cluster: RedisCluster;
  /** Stacks to close after the test. */
  readonly open: CacheStack[];
}

/**
 * Starts a local Redis Cluster before the suite, closes the stacks each test pushed to `open`
 * after it, and disposes of the cluster after the suite.
 */
export function useRedisCluster(): ClusterSuite {
  let cluster: RedisCluster | undefined;
  const open: CacheStack[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((stack) => stack.close()));
  });
  afterAll(async () => {
    await cluster?.dispose();
  });
  return {
    get cluster(): RedisCluster {
      if (cluster === undefined) throw new Error('the cluster is started in beforeAll');
      return cluster;
    },
    open,
  };
}
