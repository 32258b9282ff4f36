import { startPostgres, type PostgresServer, type RedisServer } from '@strata/testing';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { useRedisCluster, type RedisTarget } from '../support/redis.js';
import { createSchema, type CatalogServers } from './pricing.fixture.js';

/**
 * What a strategy suite runs against: a fresh database per test and a Redis (one server or a
 * cluster). Getters work only inside tests and hooks, once the servers have started.
 */
export interface StrategyServers {
  /** A fresh database with the schema, created before each test. */
  readonly databaseUrl: string;
  /** How apps reach Redis (`createCatalogApp`, `createWriteBehindApp`). */
  readonly redisTarget: RedisTarget;
  /** A client of the test's own, for looking at Strata's keys; the caller disconnects it. */
  inspector(): Redis | Cluster;
  /**
   * The single Redis server, which fault-injection tests kill and restart; `undefined` (known
   * when tests are registered) on a cluster, where those tests are not run.
   */
  readonly server: (() => RedisServer) | undefined;
}

/** {@link StrategyServers} over the single Redis of `useCatalogServers`. */
export function onSingleRedis(servers: CatalogServers): StrategyServers {
  return {
    get databaseUrl() {
      return servers.databaseUrl;
    },
    get redisTarget() {
      return { redisUrl: servers.redis.url };
    },
    inspector: () => new Redis(servers.redis.url),
    server: () => servers.redis,
  };
}

/**
 * Starts a PostgreSQL and a Redis Cluster for the spec file (disposed after it), with one
 * `Cluster` client all apps share, and gives each test a fresh database with the schema. Call it
 * before the file's own `beforeEach`.
 */
export function useClusterCatalogServers(): StrategyServers {
  const redis = useRedisCluster();
  let postgres: PostgresServer | undefined;
  let databaseUrl: string | undefined;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.dispose();
  });
  beforeEach(async () => {
    if (postgres === undefined) throw new Error('PostgreSQL did not start');
    databaseUrl = await postgres.createDatabase();
    await createSchema(databaseUrl);
  });
  return {
    get databaseUrl() {
      if (databaseUrl === undefined) throw new Error('the test database is only available inside tests');
      return databaseUrl;
    },
    get redisTarget() {
      return { redisClient: redis.client };
    },
    // Default options: commands wait in the offline queue until the client knows the slots.
    inspector: () => new Cluster([...redis.cluster.nodes]),
    server: undefined,
  };
}
