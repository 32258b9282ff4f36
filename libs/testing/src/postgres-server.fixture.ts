import { isDockerAvailable } from './docker-runtime.util.js';
import { startPostgresContainer } from './postgres-container.fixture.js';
import { externalPostgres } from './postgres-external.fixture.js';
import { startPostgresProcess } from './postgres-process.fixture.js';
import type { PostgresServer, StartPostgresOptions } from './postgres-server.types.js';

/**
 * Gives a test a PostgreSQL server, from the first source that applies:
 *
 * 1. `DATABASE_URL`, only when `allowExternal` is set (stop/kill/restart are refused there);
 * 2. a container via Testcontainers, when a Docker engine answers;
 * 3. a private server from this machine's `initdb`/`postgres` (PATH or `/usr/lib/postgresql/<v>/bin`),
 *    in a fresh temp dir on a free loopback port.
 *
 * Never skips silently: with none available it rejects with `E_NO_POSTGRES`.
 * Isolate tests with {@link PostgresServer.createDatabase} rather than one server per test.
 *
 * @param options - Whether an external server is acceptable.
 * @returns A server that accepts queries. Call `dispose()` (or `await using`) when done.
 * @throws TestServerError `E_NO_POSTGRES` or `E_START_FAILED`.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const externalUrl = process.env['DATABASE_URL'];
  if (options.allowExternal === true && externalUrl !== undefined && externalUrl !== '') {
    return externalPostgres(externalUrl);
  }
  if (await isDockerAvailable()) return startPostgresContainer();
  return startPostgresProcess();
}
