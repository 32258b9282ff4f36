import { createDatabaseOn, dropDatabaseOn } from './postgres-database.util.js';
import type { PostgresServer, PostgresSettings } from './postgres-server.types.js';
import { checkPostgresSettings } from './postgres-settings.util.js';
import { EXTERNAL_SERVER_MESSAGE, TestServerError } from './test-server.error.js';

const refuse = (): Promise<never> =>
  Promise.reject(new TestServerError('E_EXTERNAL_SERVER', EXTERNAL_SERVER_MESSAGE));

/**
 * Wraps a PostgreSQL server this test did not start (from `DATABASE_URL`). `createDatabase()` works
 * and `dispose()` drops the databases it created; stop, kill and restart reject with `E_EXTERNAL_SERVER`.
 * Such a server cannot be reconfigured, so requested settings are checked against it instead.
 *
 * @param url - The server's URL, e.g. `postgres://app:secret@ci-db:5432/app`.
 * @param settings - Settings the test needs: a string must equal the server's value, a number is a minimum.
 * @returns A handle with `external: true`.
 * @throws TestServerError `E_EXTERNAL_SERVER` naming each setting the server lacks, with its current
 *   value, what is needed and the `ALTER SYSTEM` fix; `E_START_FAILED` for a malformed setting.
 */
export async function externalPostgres(url: string, settings?: PostgresSettings): Promise<PostgresServer> {
  await checkPostgresSettings(url, settings);
  const parsed = new URL(url);
  const created = new Set<string>();
  const dispose = async (): Promise<void> => {
    for (const name of created) await dropDatabaseOn(url, name);
    created.clear();
  };
  return {
    url,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
    user: decodeURIComponent(parsed.username) || 'postgres',
    external: true,
    stop: refuse,
    kill: refuse,
    restart: refuse,
    createDatabase: async (name) => {
      const database = await createDatabaseOn(url, name);
      created.add(database.name);
      return database.url;
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
