import { ContainerControls } from './container-controls.util.js';
import { findFreePort } from './free-port.util.js';
import { createDatabaseOn, pingPostgres } from './postgres-database.util.js';
import type { PostgresServer, PostgresSettings } from './postgres-server.types.js';
import { postgresSettingArgs } from './postgres-settings.util.js';
import { waitUntilReady } from './wait-until-ready.util.js';

/** Image used when a Docker engine is available. */
const POSTGRES_IMAGE = 'postgres:16-alpine';
const POSTGRES_PORT = 5432;
const USER = 'postgres';
const DATABASE = 'postgres';
/**
 * Init script the image sources once after `initdb`: its `pg_hba.conf` admits replication connections
 * from inside the container only, and the host's come through Docker's bridge.
 */
const REPLICATION_HBA_SCRIPT = {
  target: '/docker-entrypoint-initdb.d/strata-replication-hba.sh',
  content: 'echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"\n',
  mode: 0o644,
};

/**
 * Starts PostgreSQL in a container through `@testcontainers/postgresql` (loaded only here). The host
 * port is a fixed binding chosen up front, so `restart()` comes back on the same port; data lives in
 * the container's volume and survives stop, kill and restart (see `postgres-process.fixture.ts` for
 * why `synchronous_commit` stays on).
 *
 * @param settings - Extra server settings, appended to the container's command as `-c name=value`.
 *   Replication connections are admitted with the password, as for ordinary ones.
 * @returns A running server.
 */
export async function startPostgresContainer(settings?: PostgresSettings): Promise<PostgresServer> {
  const settingArgs = postgresSettingArgs(settings);
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const hostPort = await findFreePort();
  const started = await new PostgreSqlContainer(POSTGRES_IMAGE)
    .withUsername(USER)
    .withPassword(USER)
    .withDatabase(DATABASE)
    .withCopyContentToContainer([REPLICATION_HBA_SCRIPT])
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'full_page_writes=off', ...settingArgs])
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
