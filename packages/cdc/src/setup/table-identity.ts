import type pg from 'pg';
import { CdcError } from '../errors/cdc.error.js';
import type { MappedTable } from '../consumer/mapped-tables.js';

/** What pgoutput sends of a table's old rows, read from `pg_class.relreplident`. */
export interface TableIdentity {
  readonly table: MappedTable;
  /** `d` (primary key), `i` (an index), `f` (every column) or `n` (nothing). */
  readonly replicaIdentity: 'd' | 'i' | 'f' | 'n';
  /** The columns an old row carries on `delete` (and on an `update` that changed them). */
  readonly identityColumns: readonly string[];
  /** Every column of the table. */
  readonly columns: readonly string[];
}

const IDENTITY_SQL = `
select c.relreplident as identity,
  array(select a.attname::text from pg_attribute a
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns,
  array(select a.attname::text from pg_index i join pg_attribute a
          on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = c.oid and (case c.relreplident when 'i' then i.indisreplident
                                                        else i.indisprimary end)) as key_columns
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`;

interface IdentityRow {
  identity: string;
  columns: string[];
  key_columns: string[];
}

/**
 * Reads each mapped table's replica identity and columns, and checks its mapping against them:
 * it fails, naming the table and the fix, when the table is missing, sends no old rows at all
 * (`REPLICA IDENTITY NOTHING`, or `DEFAULT` without a primary key), or when its mapping reads, on
 * a `delete`, a column the identity does not send (found by calling the mapping once with a row
 * that records what it reads).
 */
export async function checkTableIdentities(
  client: pg.Client,
  tables: Iterable<MappedTable>,
): Promise<TableIdentity[]> {
  const identities: TableIdentity[] = [];
  for (const table of tables) {
    const result = await client.query<IdentityRow>(IDENTITY_SQL, [table.schema, table.name]);
    const row = result.rows[0];
    if (row === undefined) {
      throw new CdcError('E_CDC_TABLE', `cdc: the mapped table ${table.id} does not exist in this database`);
    }
    const identity = (['d', 'i', 'f', 'n'] as const).find((kind) => kind === row.identity) ?? 'n';
    const identityColumns = identity === 'f' ? row.columns : identity === 'n' ? [] : row.key_columns;
    if (identityColumns.length === 0) {
      throw new CdcError(
        'E_CDC_TABLE',
        `cdc: ${table.id} sends no old rows (REPLICA IDENTITY ${identity === 'n' ? 'NOTHING' : 'DEFAULT without a primary key'}): ` +
          `deletes cannot be mapped. Run: ALTER TABLE ${quoted(table)} REPLICA IDENTITY FULL`,
      );
    }
    const read = columnsReadOnDelete(table, row.columns, identityColumns);
    const missing = read.filter((column) => !identityColumns.includes(column));
    if (missing.length > 0) {
      throw new CdcError(
        'E_CDC_TABLE',
        `cdc: the mapping of ${table.id} reads ${missing.map((c) => `old.${c}`).join(', ')} on a delete, but its replica identity ` +
          `sends only ${identityColumns.join(', ')}. Run: ALTER TABLE ${quoted(table)} REPLICA IDENTITY FULL ` +
          `(or map deletes from the key columns only)`,
      );
    }
    identities.push({ table, replicaIdentity: identity, identityColumns, columns: row.columns });
  }
  return identities;
}

/**
 * The columns `table`'s mapping reads from `old` on a delete, found by calling it once with an
 * old row whose identity columns hold `'0'` and whose other columns record that they were read.
 */
function columnsReadOnDelete(
  table: MappedTable,
  columns: readonly string[],
  identity: readonly string[],
): string[] {
  const read = new Set<string>();
  const known = new Set(columns);
  const base: Record<string, unknown> = {};
  for (const column of identity) base[column] = '0';
  const old = new Proxy(base, {
    get(target, property, receiver) {
      if (typeof property === 'string' && known.has(property) && !identity.includes(property))
        read.add(property);
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  try {
    table.map({ kind: 'delete', table: table.id, new: null, old, keyOnly: true });
  } catch {
    // What it read before throwing is what counts; a mapping that throws falls back at run time.
  }
  return [...read];
}

function quoted(table: MappedTable): string {
  const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  return `${ident(table.schema)}.${ident(table.name)}`;
}
