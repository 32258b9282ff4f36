import type { RedisServer } from './redis-server.types.js';
import { EXTERNAL_SERVER_MESSAGE, TestServerError } from './test-server.error.js';

const refuse = (): Promise<never> =>
  Promise.reject(new TestServerError('E_EXTERNAL_SERVER', EXTERNAL_SERVER_MESSAGE));

/**
 * Wraps a Redis server this test did not start (from `REDIS_URL`). Fault injection rejects with
 * `E_EXTERNAL_SERVER`; `dispose()` leaves the server alone.
 *
 * @param url - The server's URL, e.g. `redis://ci-redis:6379/0`.
 * @returns A handle with `external: true`.
 */
export function externalRedis(url: string): RedisServer {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dispose = (): Promise<void> => Promise.resolve();
  return {
    url,
    host,
    port,
    external: true,
    stop: refuse,
    kill: refuse,
    restart: refuse,
    pause: refuse,
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
