import type { Duration } from '@strata/core';
import type { CdcInvalidation, TableMapping } from './row-change.js';

/**
 * Options of the change-data-capture consumer (`StrataCdcModule.forRoot`, `CdcConsumer`).
 * Durations are milliseconds or a string such as `'30s'`.
 */
export interface CdcOptions {
  /**
   * The PostgreSQL server, as a URL, for a role with `REPLICATION` (and, to create what is
   * missing, the right to create the publication). Needs `wal_level = logical`.
   */
  readonly connection: string;
  /**
   * The publication the slot reads (created if missing, with the mapped tables and
   * `publish_via_partition_root = true`; an existing one is used as it is). Default `strata_cdc`.
   */
  readonly publication?: string;
  /**
   * The logical replication slot (created if missing, with Redis). Default `strata_cdc`. Without
   * Redis, each instance uses a temporary slot of its own named after it.
   */
  readonly slot?: string;
  /**
   * Mapped tables, by name (`products`, or `schema.products`; `public` when absent), each to its
   * mapping. Changes of other tables are ignored. Do not map a table that a write-behind cache
   * owns: its writes come from the cache.
   */
  readonly tables: Readonly<Record<string, TableMapping>>;
  /**
   * Per table, what a `TRUNCATE` drops, and what drops when the table's changes cannot be mapped
   * one by one (a mapping that throws, a transaction or batch past `maxInvalidations`; changes
   * possibly missed: memory-only, each new temporary slot; with Redis, a slot made again after it
   * was dropped). A table without an entry drops the default namespace: `{ namespaces: ['default'] }`.
   */
  readonly onTruncate?: Readonly<Record<string, CdcInvalidation>>;
  /**
   * Most distinct keys and tags one transaction invalidates one by one; past it, each table it
   * changed gets its fallback instead. Default 10,000.
   */
  readonly maxInvalidations?: number;
  /**
   * How long one instance holds the consumer lease in Redis before another may take over; it is
   * renewed every third of it. Default `'10s'`.
   */
  readonly leaseTtl?: Duration;
  /**
   * First wait before reconnecting after an error; doubles up to 30 s, and starts again from it
   * once a session reached the server. Default `'500ms'`.
   */
  readonly retryDelay?: Duration;
  /**
   * A lag in bytes of WAL past which the health indicator reports the consumer down. Default
   * 64 MiB.
   */
  readonly maxLagBytes?: number;
  /**
   * Whether boot fails when the database cannot stream changes (`wal_level` is not `logical`, the
   * role lacks `REPLICATION`, a mapped table is missing, a mapping needs columns the replica
   * identity does not send). Default `true`; with `false`, the consumer reports why (`cdc:state`
   * `unavailable`, which the Nest module logs) and the cache relies on TTLs.
   */
  readonly required?: boolean;
}
