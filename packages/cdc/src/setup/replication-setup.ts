import pg from 'pg';
import { CdcError } from '../errors/cdc.error.js';
import { type MappedTable, quotedName } from '../consumer/mapped-tables.js';
import { messageOf } from '../errors/as-error.js';
import { withClient } from './short-lived-client.js';

/** Names PostgreSQL accepts for a replication slot; publications are held to the same here. */
export const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

const ident = (name: string): string => pg.escapeIdentifier(name);

/** Fails unless the server runs `wal_level = logical`, with the fix in the message. */
export async function checkWalLevel(client: pg.Client): Promise<void> {
  const result = await client.query<{ wal_level: string }>('show wal_level');
  const level = result.rows[0]?.wal_level;
  if (level !== 'logical') {
    throw new CdcError(
      'E_CDC_UNAVAILABLE',
      `cdc: the database runs wal_level = ${String(level)}; logical replication needs wal_level = logical. ` +
        `Run: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL`,
    );
  }
}

/** Fails unless the connected role may open replication connections (`REPLICATION` or superuser). */
export async function checkReplicationRole(client: pg.Client): Promise<void> {
  const result = await client.query<{ role: string; allowed: boolean }>(
    'select current_user as role, rolreplication or rolsuper as allowed from pg_roles where rolname = current_user',
  );
  const row = result.rows[0];
  if (row?.allowed !== true) {
    const role = row?.role ?? 'the connecting role';
    throw new CdcError(
      'E_CDC_UNAVAILABLE',
      `cdc: the role ${role} may not stream changes. Run, as a superuser: ALTER ROLE ${ident(role)} REPLICATION`,
    );
  }
}

/**
 * Creates the publication with the mapped tables when it is missing, and adds the mapped tables
 * it lacks; a publication `FOR ALL TABLES` is left as it is.
 *
 * @throws CdcError `E_CDC_SETUP` naming the SQL to run when the role may not do it.
 */
export async function ensurePublication(
  client: pg.Client,
  publication: string,
  tables: readonly MappedTable[],
): Promise<void> {
  const found = await client.query<{ puballtables: boolean; pubviaroot: boolean }>(
    'select puballtables, pubviaroot from pg_publication where pubname = $1',
    [publication],
  );
  const row = found.rows[0];
  if (row?.puballtables === true) return;
  let sql: string;
  if (row === undefined) {
    // A partitioned table's changes are then published under its own name, not its partitions'.
    sql = `CREATE PUBLICATION ${ident(publication)} FOR TABLE ${tables.map(quotedName).join(', ')} WITH (publish_via_partition_root = true)`;
  } else {
    // The tables added to it (pg_publication_tables lists a partitioned table's partitions).
    const listed = await client.query<{ schemaname: string; tablename: string }>(
      `select n.nspname as schemaname, c.relname as tablename
       from pg_publication_rel r join pg_publication p on p.oid = r.prpubid
       join pg_class c on c.oid = r.prrelid join pg_namespace n on n.oid = c.relnamespace
       where p.pubname = $1`,
      [publication],
    );
    const present = new Set(listed.rows.map((r) => `${r.schemaname}.${r.tablename}`));
    const missing = tables.filter((table) => !present.has(table.id));
    const statements: string[] = [];
    if (missing.length > 0) {
      statements.push(
        `ALTER PUBLICATION ${ident(publication)} ADD TABLE ${missing.map(quotedName).join(', ')}`,
      );
    }
    // Changes of a partitioned table come under its partitions' names unless published via its root.
    const partitioned = await client.query<{ partitioned: boolean }>(
      `select bool_or(c.relkind = 'p') as partitioned from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))`,
      [tables.map((t) => t.schema), tables.map((t) => t.name)],
    );
    if (row.pubviaroot !== true && partitioned.rows[0]?.partitioned === true) {
      statements.push(`ALTER PUBLICATION ${ident(publication)} SET (publish_via_partition_root = true)`);
    }
    if (statements.length === 0) return;
    sql = statements.join('; ');
  }
  try {
    await client.query(sql);
  } catch (error) {
    throw new CdcError(
      'E_CDC_SETUP',
      `cdc: could not set up publication ${publication} (${messageOf(error)}). Run: ${sql}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Creates the logical replication slot (pgoutput) when it is missing.
 *
 * @returns Whether this call created it.
 * @throws CdcError `E_CDC_SETUP` when a slot of that name belongs to another plugin or database,
 * or cannot be created (with the SQL to run).
 */
export async function ensureSlot(client: pg.Client, slot: string): Promise<boolean> {
  const found = await client.query<{
    plugin: string | null;
    database: string | null;
    wal_status: string | null;
  }>('select plugin, database, wal_status from pg_replication_slots where slot_name = $1', [slot]);
  let row = found.rows[0];
  if (row?.wal_status === 'lost') {
    // Invalidated past max_slot_wal_keep_size: it cannot be read any more; a new one replaces it.
    await client.query('select pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
    row = undefined;
  }
  if (row !== undefined) {
    const database = (await client.query<{ db: string }>('select current_database() as db')).rows[0]?.db;
    if (row.plugin !== 'pgoutput' || row.database !== database) {
      throw new CdcError(
        'E_CDC_SETUP',
        `cdc: the replication slot ${slot} exists for plugin ${String(row.plugin)} on database ${String(row.database)}, ` +
          `not pgoutput on ${String(database)}: choose another slot name`,
      );
    }
    return false;
  }
  try {
    await client.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === '42710') return false; // created meanwhile by another instance
    throw new CdcError(
      'E_CDC_SETUP',
      `cdc: could not create the replication slot ${slot} (${messageOf(error)}). Run: SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput')`,
      { cause: error },
    );
  }
}

/**
 * Drops the slot (and, when named, the publication): a slot left without a consumer makes the
 * server keep WAL for it. Ends the slot's walsender first when one still holds it.
 *
 * @returns What was dropped.
 */
export function dropReplication(
  connection: string,
  slot: string,
  publication?: string,
): Promise<{ slot: boolean; publication: boolean }> {
  return withClient(connection, async (client) => {
    await endSlotReader(client, slot);
    const slots = await client.query('select slot_name from pg_replication_slots where slot_name = $1', [
      slot,
    ]);
    if (slots.rowCount !== 0) await dropSlotWhenReleased(client, slot);
    let dropped = false;
    if (publication !== undefined) {
      const found = await client.query('select 1 from pg_publication where pubname = $1', [publication]);
      if (found.rowCount !== 0) {
        await client.query(`DROP PUBLICATION ${ident(publication)}`);
        dropped = true;
      }
    }
    return { slot: slots.rowCount !== 0, publication: dropped };
  });
}

/** Ends the walsender still reading `slot` (a stalled or dead holder the server has not dropped yet). */
export async function endSlotReader(client: pg.Client, slot: string): Promise<void> {
  await client.query(
    'select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1 and active_pid is not null',
    [slot],
  );
}

/** `pg_drop_replication_slot`, retried for a moment while a terminated walsender lets go of it. */
async function dropSlotWhenReleased(client: pg.Client, slot: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.query('select pg_drop_replication_slot($1)', [slot]);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== '55006' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
