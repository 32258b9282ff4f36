import { randomBytes } from 'node:crypto';
import pg from 'pg';

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Runs statements on one short-lived connection.
 *
 * @param url - Connection URL.
 * @param statements - SQL run in order.
 * @param timeoutMs - Limit for connecting and for each statement.
 */
export async function runSql(url: string, statements: readonly string[], timeoutMs = 10_000): Promise<void> {
  await withClient(url, timeoutMs, async (client) => {
    for (const statement of statements) await client.query(statement);
  });
}

/**
 * Runs one query on a short-lived connection and returns its rows.
 *
 * @param url - Connection URL.
 * @param sql - The query, with `$1`… placeholders.
 * @param values - Values for the placeholders.
 * @param timeoutMs - Limit for connecting and for the query.
 * @returns The result rows.
 */
export function queryRows<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: readonly unknown[] = [],
  timeoutMs = 10_000,
): Promise<T[]> {
  return withClient(url, timeoutMs, async (client) => (await client.query<T>(sql, [...values])).rows);
}

/** Runs `fn` on a short-lived connection, closed afterwards whatever happens. */
async function withClient<T>(
  url: string,
  timeoutMs: number,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * One readiness check: connects and runs `select 1`.
 *
 * @param url - Connection URL.
 * @param timeoutMs - Limit for connecting and for the query.
 */
export function pingPostgres(url: string, timeoutMs = 2_000): Promise<void> {
  return runSql(url, ['select 1'], timeoutMs);
}

/**
 * The URL of another database on the same server (same credentials and parameters).
 *
 * @param url - Any database URL on the server.
 * @param database - Target database name.
 * @returns The URL with its path replaced.
 */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Creates a database on the server `url` points to.
 *
 * @param url - URL of a database on the server, as a user allowed to create databases.
 * @param name - Name to use; defaults to a unique `strata_test_…` name.
 * @returns The new database's name and URL.
 */
export async function createDatabaseOn(url: string, name?: string): Promise<{ name: string; url: string }> {
  const database = name ?? `strata_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  if (!NAME_PATTERN.test(database)) {
    throw new TypeError(`invalid database name ${JSON.stringify(database)}: use letters, digits and _`);
  }
  await runSql(url, [`create database "${database}"`]);
  return { name: database, url: databaseUrl(url, database) };
}

/**
 * Drops a database, disconnecting its sessions first; never throws.
 *
 * @param url - URL of another database on the same server.
 * @param name - Database to drop (as returned by {@link createDatabaseOn}).
 */
export async function dropDatabaseOn(url: string, name: string): Promise<void> {
  if (!NAME_PATTERN.test(name)) return;
  try {
    await runSql(url, [`drop database if exists "${name}" with (force)`]);
  } catch {
    // Best effort: the server may be gone, or older than PostgreSQL 13.
  }
}
