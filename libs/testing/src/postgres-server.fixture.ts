import { isDockerAvailable } from './docker-runtime.util.js';
import { startPostgresContainer } from './postgres-container.fixture.js';
import { externalPostgres } from './postgres-external.fixture.js';
import { startPostgresProcess } from './postgres-process.fixture.js';
import type { PostgresServer, StartPostgresOptions } from './postgres-server.types.js';
import { assertPostgresSettings } from './postgres-settings.util.js';

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
 * `settings` are given to a server this call starts (`-c name=value`, kept across `restart()`); a
 * server from `DATABASE_URL` is only checked for them, since it cannot be reconfigured from here.
 *
 * @example Logical replication (change data capture)
 * ```ts
 * await using pg = await startPostgres({ settings: { wal_level: 'logical' } });
 * ```
 *
 * @param options - Whether an external server is acceptable, and extra server settings.
 * @returns A server that accepts queries. Call `dispose()` (or `await using`) when done.
 * @throws TestServerError `E_NO_POSTGRES`; `E_START_FAILED` when the server does not come up or a
 *   setting is malformed; `E_EXTERNAL_SERVER` when the server from `DATABASE_URL` lacks a setting.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  assertPostgresSettings(options.settings);
  const externalUrl = process.env['DATABASE_URL'];
  if (options.allowExternal === true && externalUrl !== undefined && externalUrl !== '') {
    return externalPostgres(externalUrl, options.settings);
  }
  if (await isDockerAvailable()) return startPostgresContainer(options.settings);
  return startPostgresProcess(options.settings);
}
