import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import pg from 'pg';
import type { DatabaseConfig } from '../config/shop-config.js';
import { shopPackageRoot } from './package-root.js';
import type { QueryCounter } from './query-counter.js';
import { ensureFullReplicaIdentity } from './replica-identity.js';

/**
 * The Drizzle database, whichever driver is behind it: the shop only uses the query builder and
 * transactions, which both drivers share.
 */
export type Database = PgDatabase<PgQueryResultHKT>;
/** A transaction of {@link Database}. */
export type Transaction = PgTransaction<
  PgQueryResultHKT,
  Record<string, never>,
  ExtractTablesWithRelations<Record<string, never>>
>;

/** The token under which the {@link Database} is provided. */
export const DATABASE = Symbol('DATABASE');

/** An open database and how to close it. */
export interface DatabaseHandle {
  readonly db: Database;
  readonly driver: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/**
 * Opens the database (PGlite in `dataDir`, or in memory without one; or a `pg` pool) and applies
 * the SQL migrations in `apps/shop/drizzle`, with drizzle-orm's migrator for that driver. On
 * PostgreSQL, also the replica identities that invalidation from the database needs.
 */
export async function openDatabase(config: DatabaseConfig, counter: QueryCounter): Promise<DatabaseHandle> {
  const migrationsFolder = join(shopPackageRoot(), 'drizzle');
  if (config.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: config.url, max: 10 });
    // An idle client's connection dropping (a Postgres restart) must not crash the process: the
    // pool replaces it, and the next query reports the error to its caller.
    pool.on('error', () => undefined);
    const db = drizzlePg({ client: pool, logger: counter });
    await migratePg(db, { migrationsFolder });
    await ensureFullReplicaIdentity(pool);
    return { db: db as unknown as Database, driver: 'postgres', close: () => pool.end() };
  }
  if (config.dataDir) mkdirSync(config.dataDir, { recursive: true });
  const client = await PGlite.create(config.dataDir);
  const db = drizzlePglite({ client, logger: counter });
  await migratePglite(db, { migrationsFolder });
  return { db: db as unknown as Database, driver: 'pglite', close: () => client.close() };
}
