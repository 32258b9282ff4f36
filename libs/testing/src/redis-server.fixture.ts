import { isDockerAvailable } from './docker-runtime.util.js';
import { startRedisContainer } from './redis-container.fixture.js';
import { externalRedis } from './redis-external.fixture.js';
import { startRedisProcess } from './redis-process.fixture.js';
import type { RedisServer, StartRedisOptions } from './redis-server.types.js';

/**
 * Gives a test a Redis server, from the first source that applies:
 *
 * 1. `REDIS_URL`, only when `allowExternal` is set (the handle refuses fault injection);
 * 2. a container via Testcontainers, when a Docker engine answers;
 * 3. the `redis-server` binary from `PATH`, on a free loopback port and a fresh temp dir (always,
 *    for a replica: see {@link StartRedisOptions.replicaOf}).
 *
 * Never skips silently: with none available it rejects with `E_NO_REDIS`.
 *
 * @param options - Persistence, whether an external server is acceptable, and what to replicate.
 * @returns A server that answers PING. Call `dispose()` (or `await using`) when done.
 * @throws TestServerError `E_NO_REDIS` or `E_START_FAILED`.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const externalUrl = process.env['REDIS_URL'];
  if (options.allowExternal === true && externalUrl !== undefined && externalUrl !== '') {
    return externalRedis(externalUrl);
  }
  if (options.replicaOf === undefined && (await isDockerAvailable())) {
    return startRedisContainer(options);
  }
  return startRedisProcess(options);
}
