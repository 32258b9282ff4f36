import { describe } from 'vitest';
import { describeCacheService } from './cache-service.suite.js';
import { describeCacheable } from './cacheable.suite.js';
import { describeNamedCacheDecorators } from './named-cache-decorators.suite.js';
import { describePutEvict } from './put-evict.suite.js';
import { clusterBackends } from './support/app.js';
import { useRedisCluster } from './support/redis.js';

/**
 * The decorator and `CacheService` suites on a Redis Cluster (3 primaries, 3 replicas), with and
 * without L1: one cluster for the file, one `Cluster` client every app shares.
 */
const redis = useRedisCluster();
const onCluster = clusterBackends(redis);

describe('on a Redis Cluster', () => {
  describeCacheable(onCluster);
  describePutEvict(onCluster);
  describeCacheService(onCluster);
  describeNamedCacheDecorators(() => ({ client: redis.client }));
});
