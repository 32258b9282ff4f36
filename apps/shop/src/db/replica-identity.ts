import type pg from 'pg';

/**
 * Tables whose deletes must carry every column to logical replication (`REPLICA IDENTITY FULL`):
 * the invalidation of a deleted review reads its `product_id`, which is not its key
 * (`src/cache/shop-cdc.options.ts`). The other mapped tables are keyed by the product id and keep
 * the default identity (the primary key).
 */
export const FULL_REPLICA_IDENTITY_TABLES = ['reviews'] as const;

/**
 * Sets `REPLICA IDENTITY FULL` on {@link FULL_REPLICA_IDENTITY_TABLES} where it is not set yet
 * (so a boot with nothing to change takes no table lock). PostgreSQL only: the embedded PGlite
 * has no logical replication to send old rows to.
 */
export async function ensureFullReplicaIdentity(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = current_schema() and c.relname = any($1::text[]) and c.relreplident <> 'f'`,
    [[...FULL_REPLICA_IDENTITY_TABLES]],
  );
  for (const { name } of rows) {
    await pool.query(`ALTER TABLE "${name.replaceAll('"', '""')}" REPLICA IDENTITY FULL`);
  }
}
