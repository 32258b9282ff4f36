import pg from 'pg';
import type { MappedTable } from '../consumer/mapped-tables.js';
import { checkReplicationRole, checkWalLevel, ensurePublication, ensureSlot } from './replication-setup.js';
import { checkTableIdentities } from './table-identity.js';

/** Runs `fn` on a short-lived connection of its own. */
async function withClient<T>(connection: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined); // a failed query rejects; the connection's end is ours
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * What the consumer checks and sets up before it streams: `wal_level`, the role's right to
 * replicate, the mapped tables and their replica identities, the publication and (a fleet's
 * consumer) the slot.
 *
 * @returns Whether the slot was created now (changes made before it are not in it).
 * @throws CdcError when the database cannot serve the mappings; the driver's error when it
 *   cannot be reached.
 */
export function prepareDatabase(
  connection: string,
  publication: string,
  tables: readonly MappedTable[],
  slot: string | undefined,
): Promise<{ slotCreated: boolean }> {
  return withClient(connection, async (client) => {
    await checkWalLevel(client);
    await checkReplicationRole(client);
    await checkTableIdentities(client, tables);
    await ensurePublication(client, publication, tables);
    return { slotCreated: slot !== undefined && (await ensureSlot(client, slot)) };
  });
}

/**
 * Ends the walsender still reading `slot` (a stalled or dead holder whose connection the server
 * has not dropped yet).
 *
 * @returns Whether the command ran.
 */
export async function endSlotReader(connection: string, slot: string): Promise<boolean> {
  try {
    await withClient(connection, (client) =>
      client.query(
        'select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1 and active_pid is not null',
        [slot],
      ),
    );
    return true;
  } catch {
    return false;
  }
}
