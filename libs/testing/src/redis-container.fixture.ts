import { ContainerControls } from './container-controls.util.js';
import { findFreePort } from './free-port.util.js';
import { pingRedis } from './redis-ping.util.js';
import type { RedisServer, StartRedisOptions } from './redis-server.types.js';
import { waitUntilReady } from './wait-until-ready.util.js';

/** Image used when a Docker engine is available. */
const REDIS_IMAGE = 'redis:7-alpine';
const REDIS_PORT = 6379;

/**
 * Starts Redis in a container through `@testcontainers/redis` (loaded only here). The host port is a
 * fixed binding chosen up front, so `restart()` comes back on the same port; with `appendOnly`, the
 * AOF lives in the container's `/data` volume and survives stop, kill and restart.
 *
 * @param options - Whether to persist writes to an append-only file.
 * @returns A running server.
 */
export async function startRedisContainer(options: StartRedisOptions = {}): Promise<RedisServer> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const hostPort = await findFreePort();
  const command = ['redis-server', '--save', '', '--appendonly', options.appendOnly ? 'yes' : 'no'];
  command.push('--appendfsync', 'always', '--protected-mode', 'no');
  const started = await new RedisContainer(REDIS_IMAGE)
    .withCommand(command)
    .withExposedPorts({ container: REDIS_PORT, host: hostPort })
    .start();
  const host = started.getHost();
  const port = started.getPort();
  const controls = new ContainerControls(started, () =>
    waitUntilReady(() => pingRedis(host, port), {
      what: `Redis container ${started.getName()}`,
      intervalMs: 25,
      timeoutMs: 10_000,
    }),
  );
  const dispose = (): Promise<void> => controls.dispose();
  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    external: false,
    stop: () => controls.stop(),
    kill: () => controls.kill(),
    restart: () => controls.restart(),
    pause: (ms) => controls.pause(ms),
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
