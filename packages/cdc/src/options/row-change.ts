/** A row as pgoutput sends it: column name to value, parsed as `pg` parses that column's type. */
export type Row = Readonly<Record<string, unknown>>;

/**
 * One committed row change of a mapped table, as a mapping receives it.
 *
 * What `old` holds depends on the table's `REPLICA IDENTITY` (docs/cdc.md):
 * - `DEFAULT` (the primary key) or `USING INDEX`: a `delete` carries the key columns only
 *   (`keyOnly: true`); an `update` carries no old row unless it changed the key (`old: null`).
 * - `FULL`: every column of the old row, on `update` and `delete`.
 *
 * Reading a column the change did not carry (a non-key column of a key-only row, an unchanged
 * TOASTed column of `new`) throws: the mapping fails and the table's fallback applies, rather
 * than an invalidation of `product:undefined` that drops nothing.
 */
export interface RowChange {
  readonly kind: 'insert' | 'update' | 'delete';
  /** The table, as `schema.name`. */
  readonly table: string;
  /** The new row: on `insert` and `update`; `null` on `delete`. */
  readonly new: Row | null;
  /** The old row or its key columns: see above; `null` when not sent. */
  readonly old: Row | null;
  /** Whether `old` holds only the replica identity's key columns. */
  readonly keyOnly: boolean;
}

/**
 * What a change drops from the cache: entry keys (in `namespace`, `default` when absent), tags
 * and whole namespaces. Everything is de-duplicated per transaction.
 */
export interface CdcInvalidation {
  readonly keys?: readonly string[];
  /** The namespace of `keys`. */
  readonly namespace?: string;
  readonly tags?: readonly string[];
  readonly namespaces?: readonly string[];
}

/**
 * Maps one row change to what it invalidates. Synchronous and pure: it runs for every change of
 * its table, in the consumer, before the transaction's position is confirmed. Returning
 * `undefined` (or an empty invalidation) invalidates nothing; throwing makes the table's fallback
 * apply (logged, counted).
 */
export type TableMapping = (change: RowChange) => CdcInvalidation | undefined;
