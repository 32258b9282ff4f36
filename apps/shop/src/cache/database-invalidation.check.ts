import pg from 'pg';
import type { ShopConfig } from '../config/shop-config.js';

/**
 * Whether the shop can invalidate from its database: `on` with the server's URL, or `off` with
 * why, how to turn it on, and how loudly to say so at boot (`warn` when `DATABASE_URL` is set and
 * the server or role is not ready; `log` when the setup rules it out).
 */
export type DatabaseInvalidationCheck =
  | { readonly kind: 'on'; readonly url: string }
  | { readonly kind: 'off'; readonly level: 'log' | 'warn'; readonly reason: string };

/**
 * Checks, before the app is built, whether the shop's database can stream its changes:
 * `DATABASE_URL` is set (the embedded PGlite cannot), the cache is on, the server runs
 * `wal_level = logical` and the role may replicate. Opens one connection of its own, closed before
 * it resolves; never throws (a server it cannot reach turns invalidation off with the error).
 *
 * `CdcConsumer.start()` checks the level and the role too, and fails the boot when they are not
 * right; checking here first keeps the shop booting without it, with one line saying why.
 */
export async function checkDatabaseInvalidation(config: ShopConfig): Promise<DatabaseInvalidationCheck> {
  const { database } = config;
  if (database.kind !== 'postgres') {
    return off(
      'log',
      'the embedded PGlite cannot stream its changes. Set DATABASE_URL to a PostgreSQL server ' +
        'with wal_level = logical for it',
    );
  }
  if (!config.cacheEnabled) return off('log', 'SHOP_CACHE=off: nothing is cached');
  const unable = await whyCannotStream(database.url);
  return unable === undefined ? { kind: 'on', url: database.url } : off('warn', unable);
}

function off(level: 'log' | 'warn', reason: string): DatabaseInvalidationCheck {
  return { kind: 'off', level, reason };
}

/**
 * Why the server at `url` cannot stream its changes to the shop, or `undefined` when it can:
 * `wal_level` must be `logical`, and the role must have `REPLICATION` (or be a superuser).
 */
async function whyCannotStream(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const level = (await client.query<{ wal_level: string }>('show wal_level')).rows[0]?.wal_level;
    if (level !== 'logical') {
      return (
        `DATABASE_URL points at a server with wal_level = ${String(level)}, and reading its ` +
        'changes needs wal_level = logical. As a superuser: ALTER SYSTEM SET wal_level = logical; ' +
        'then restart PostgreSQL'
      );
    }
    const role = await client.query<{ name: string; allowed: boolean }>(
      'select rolname as name, rolreplication or rolsuper as allowed from pg_roles where rolname = current_user',
    );
    const row = role.rows[0];
    if (row !== undefined && !row.allowed) {
      return (
        `the role ${row.name} of DATABASE_URL may not read a replication stream. As a superuser: ` +
        `ALTER ROLE "${row.name.replaceAll('"', '""')}" REPLICATION`
      );
    }
    return undefined;
  } catch (error) {
    return `could not check the server's wal_level (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
