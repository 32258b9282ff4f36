import type { MappedTable } from '../consumer/mapped-tables.js';
import {
  checkReplicationRole,
  checkWalLevel,
  endSlotReader,
  ensurePublication,
  ensureSlot,
} from './replication-setup.js';
import { withClient } from './short-lived-client.js';
import { checkTableIdentities } from './table-identity.js';

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
 * has not dropped yet), on a connection of its own.
 *
 * @returns Whether the command ran.
 */
export async function endStalledReader(connection: string, slot: string): Promise<boolean> {
  try {
    await withClient(connection, (client) => endSlotReader(client, slot));
    return true;
  } catch {
    return false;
  }
}
