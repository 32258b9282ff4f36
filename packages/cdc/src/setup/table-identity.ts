import type pg from 'pg';
import { CdcError } from '../errors/cdc.error.js';
import { isObjectMember } from '../replication/sent-row.js';
import { type MappedTable, quotedName } from '../consumer/mapped-tables.js';

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
 * a `delete`, a column the identity does not send, or reads a name that is not a column (found
 * by calling the mapping with rows that record what it reads).
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
          `deletes cannot be mapped. Run: ALTER TABLE ${quotedName(table)} REPLICA IDENTITY FULL`,
      );
    }
    const { oldColumns: missing, unknown } = probeMapping(table, row.columns, identityColumns);
    if (unknown.length > 0) {
      throw new CdcError(
        'E_CDC_TABLE',
        `cdc: the mapping of ${table.id} reads ${unknown.join(', ')}, not a column of the table (its columns: ${row.columns.join(', ')})`,
      );
    }
    if (missing.length > 0) {
      throw new CdcError(
        'E_CDC_TABLE',
        `cdc: the mapping of ${table.id} reads ${missing.map((c) => `old.${c}`).join(', ')} on a delete, but its replica identity ` +
          `sends only ${identityColumns.join(', ')}. Run: ALTER TABLE ${quotedName(table)} REPLICA IDENTITY FULL ` +
          `(or map deletes from the key columns only)`,
      );
    }
    identities.push({ table, replicaIdentity: identity, identityColumns, columns: row.columns });
  }
  return identities;
}

/**
 * What `table`'s mapping reads, found by calling it twice with rows that record it: on a delete,
 * the non-identity columns it reads from `old` (whose identity columns hold `'0'`); on a delete
 * and an insert (every column `'0'`), the names it reads that are not columns at all.
 */
function probeMapping(
  table: MappedTable,
  columns: readonly string[],
  identity: readonly string[],
): { oldColumns: string[]; unknown: string[] } {
  const oldColumns = new Set<string>();
  const unknown = new Set<string>();
  const known = new Set(columns);
  const recording = (present: readonly string[], side: 'old' | 'new'): Record<string, unknown> => {
    const base: Record<string, unknown> = {};
    for (const column of present) base[column] = '0';
    return new Proxy(base, {
      get(target, property, receiver) {
        if (typeof property === 'string' && !isObjectMember(property)) {
          if (!known.has(property)) unknown.add(`${side}.${property}`);
          else if (side === 'old' && !present.includes(property)) oldColumns.add(property);
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
  };
  const probes = [
    { kind: 'delete', table: table.id, new: null, old: recording(identity, 'old'), keyOnly: true },
    { kind: 'insert', table: table.id, new: recording(columns, 'new'), old: null, keyOnly: false },
  ] as const;
  for (const change of probes) {
    try {
      table.map(change);
    } catch {
      // What it read before throwing is what counts; a mapping that throws falls back at run time.
    }
  }
  return { oldColumns: [...oldColumns], unknown: [...unknown] };
}
