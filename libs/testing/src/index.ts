/**
 * `@strata/testing`: real Redis and PostgreSQL servers for tests, which tests can stop, kill,
 * pause and restart. See the README for where the servers come from.
 *
 * @packageDocumentation
 */

/** Start a Redis server (external, container or local binary). */
export { startRedis } from './redis-server.fixture.js';
/** Handle and options of a Redis test server. */
export type { RedisServer, StartRedisOptions } from './redis-server.types.js';
/** Start a local Redis Cluster (3 primaries, 3 replicas) whose nodes a test can kill, restart and fail over. */
export { startRedisCluster } from './redis-cluster.fixture.js';
/** Handle, node handles and options of a Redis Cluster for tests. */
export type {
  RedisCluster,
  RedisClusterAddress,
  RedisClusterNode,
  StartRedisClusterOptions,
} from './redis-cluster.types.js';
/** Start a local Redis Sentinel setup (1 primary, 2 replicas, 3 sentinels) whose primary a test can fail over. */
export { startRedisSentinel } from './redis-sentinel.fixture.js';
/** Handle, node handles and options of a Redis Sentinel setup for tests. */
export type {
  RedisSentinel,
  RedisSentinelAddress,
  RedisSentinelNode,
  StartRedisSentinelOptions,
} from './redis-sentinel.types.js';
/** Start a PostgreSQL server (external, container or local binaries). */
export { startPostgres } from './postgres-server.fixture.js';
/** Handle and options of a PostgreSQL test server. */
export type { PostgresServer, PostgresSettings, StartPostgresOptions } from './postgres-server.types.js';
/** The typed error every fixture rejects with, and its codes. */
export { TestServerError, type TestServerErrorCode } from './test-server.error.js';
/** Ask the kernel for a free loopback port. */
export { findFreePort } from './free-port.util.js';
/** A seeded PRNG, for workloads and values replayable from their seed. */
export { seededRandom } from './seeded-random.util.js';
