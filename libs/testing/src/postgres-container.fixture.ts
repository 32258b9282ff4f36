import { ContainerControls } from './container-controls.util.js';
import { findFreePort } from './free-port.util.js';
import { createDatabaseOn, pingPostgres } from './postgres-database.util.js';
import type { PostgresServer } from './postgres-server.types.js';
import { waitUntilReady } from './wait-until-ready.util.js';

/** Image used when a Docker engine is available. */
const POSTGRES_IMAGE = 'postgres:16-alpine';
const POSTGRES_PORT = 5432;
const USER = 'postgres';
const DATABASE = 'postgres';

/**
 * Starts PostgreSQL in a container through `@testcontainers/postgresql` (loaded only here). The host
 * port is a fixed binding chosen up front, so `restart()` comes back on the same port; data lives in
 * the container's volume and survives stop, kill and restart (see `postgres-process.fixture.ts` for
 * why `synchronous_commit` stays on).
 *
 * @returns A running server.
 */
export async function startPostgresContainer(): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const hostPort = await findFreePort();
  const started = await new PostgreSqlContainer(POSTGRES_IMAGE)
    .withUsername(USER)
    .withPassword(USER)
    .withDatabase(DATABASE)
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'full_page_writes=off'])
    .withExposedPorts({ container: POSTGRES_PORT, host: hostPort })
    .start();
  const url = started.getConnectionUri();
  const controls = new ContainerControls(started, () =>
    waitUntilReady(() => pingPostgres(url), {
      what: `PostgreSQL container ${started.getName()}`,
      intervalMs: 50,
      timeoutMs: 30_000,
    }),
  );
  const dispose = (): Promise<void> => controls.dispose();
  return {
    url,
    host: started.getHost(),
    port: started.getPort(),
    database: DATABASE,
    user: USER,
    external: false,
    stop: () => controls.stop(),
    kill: () => controls.kill(),
    restart: () => controls.restart(),
    createDatabase: async (name) => (await createDatabaseOn(url, name)).url,
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
