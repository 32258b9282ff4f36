import { describe } from 'vitest';
import { describeCacheAside } from './cache-aside.suite.js';
import { useClusterCatalogServers } from './strategy-servers.fixture.js';
import { describeWriteBehindRedis } from './write-behind-redis.suite.js';
import { describeWriteThrough } from './write-through.suite.js';

/**
 * The strategy suites on a Redis Cluster (3 primaries, 3 replicas) and PostgreSQL: one cluster
 * for the file, one `Cluster` client every app shares. The tests that SIGKILL the single Redis
 * are left out (`StrategyServers.server` is undefined here).
 */
const servers = useClusterCatalogServers();

describe('on a Redis Cluster', () => {
  describeCacheAside(servers);
  describeWriteThrough(servers);
  describeWriteBehindRedis(servers);
});
