import {
  startRedis,
  startRedisCluster,
  type RedisCluster,
  type RedisServer,
  type StartRedisOptions,
} from '@strata/testing';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** A real Redis server for the whole spec file: started in `beforeAll`, disposed in `afterAll`. */
export interface RedisHandle {
  /** The server; only defined inside tests and hooks. */
  readonly server: RedisServer;
  readonly url: string;
}

export function useRedisServer(options: StartRedisOptions = {}): RedisHandle {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    await server?.dispose();
  });
  const current = (): RedisServer => {
    if (!server) throw new Error('the Redis server is only available inside tests and hooks');
    return server;
  };
  return {
    get server() {
      return current();
    },
    get url() {
      return current().url;
    },
  };
}

/** A local Redis Cluster for the whole spec file, and one client over it that apps share. */
export interface RedisClusterHandle {
  /** The cluster (3 primaries, 3 replicas); only defined inside tests and hooks. */
  readonly cluster: RedisCluster;
  /** A ready `Cluster` client, passed to apps as `redis: { client }` (Strata never closes it). */
  readonly client: Cluster;
}

/**
 * A `Cluster` client configured like the client Strata creates for itself
 * (`packages/core/src/redis/redis-connection.ts`): no offline queue, bounded commands and
 * connects, no retries or re-sends of commands, reconnection in the background.
 */
export function strataLikeClusterClient(cluster: RedisCluster, commandTimeoutMs = 1_000): Cluster {
  const client = new Cluster([...cluster.nodes], {
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
    redisOptions: {
      commandTimeout: commandTimeoutMs,
      connectTimeout: 2_000,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    },
  });
  // Apps report errors through their stack's listener; this one keeps ioredis from printing them.
  client.on('error', () => undefined);
  return client;
}

/**
 * Starts a Redis Cluster in `beforeAll` with a ready client over it; disconnects the client and
 * disposes of the cluster in `afterAll`.
 */
export function useRedisCluster(): RedisClusterHandle {
  let cluster: RedisCluster | undefined;
  let client: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    const connecting = strataLikeClusterClient(cluster);
    client = connecting;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the Cluster client did not become ready')), 10_000);
      connecting.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.dispose();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside tests and hooks`);
    return value;
  };
  return {
    get cluster() {
      return ready(cluster, 'the Redis Cluster');
    },
    get client() {
      return ready(client, 'the Redis Cluster client');
    },
  };
}

/** Where an app's Redis is: a URL (Strata opens and owns its connection) or a client the test owns. */
export interface RedisTarget {
  readonly redisUrl?: string;
  readonly redisClient?: Redis | Cluster;
}

/**
 * The module's `redis` options for a target: its client, else its URL with `commandTimeout`
 * (a client brings its own timeouts).
 */
export function redisModuleOptions(
  target: RedisTarget,
  commandTimeout: string,
): NonNullable<StrataModuleOptions['redis']> {
  if (target.redisClient !== undefined) return { client: target.redisClient };
  if (target.redisUrl === undefined) throw new Error('a Redis target needs redisUrl or redisClient');
  return { url: target.redisUrl, commandTimeout };
}
