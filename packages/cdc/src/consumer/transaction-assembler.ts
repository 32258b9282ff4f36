import type { Pgoutput } from 'pg-logical-replication';
import type { CdcInvalidation, RowChange } from '../options/row-change.js';
import { sentRow } from '../replication/sent-row.js';
import { InvalidationSet } from './invalidation-set.js';
import { fallbackOf, type MappedTables } from './mapped-tables.js';

/** A committed transaction's invalidations and where it ends in the WAL. */
export interface CommittedTransaction {
  readonly invalidations: InvalidationSet;
  /** The position to confirm once its invalidations landed. */
  readonly endLsn: string;
  /** Commit time, ms since the epoch. */
  readonly committedAt: number;
  /** Row changes of mapped tables it held. */
  readonly changes: number;
  /** Its transaction id (32-bit), to wait until it is visible to readers. */
  readonly xid: number;
}

/** Reports a table's fallback. */
export type FallbackReporter = (
  table: string,
  reason: 'truncate' | 'mapping-error' | 'too-many',
  error?: unknown,
) => void;

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/**
 * Turns pgoutput messages into committed transactions: changes of mapped tables go through their
 * mapping as they arrive (de-duplicated, bounded), and nothing is handed on before the commit, so
 * a rolled-back transaction (which pgoutput never sends) invalidates nothing. Changes of other
 * tables are ignored.
 */
export class TransactionAssembler {
  private current: InvalidationSet | undefined;
  /** What each table falls back to. */
  private readonly fallbacks: (table: string) => CdcInvalidation;
  private changes = 0;
  private xid = 0;

  constructor(
    private readonly tables: MappedTables,
    private readonly maxInvalidations: number,
    /** Throws when an invalidation names an invalid key, tag or namespace. */
    private readonly validate: (invalidation: CdcInvalidation) => void,
    private readonly onFallback: FallbackReporter,
  ) {
    this.fallbacks = fallbackOf(tables);
  }

  /** Whether a transaction is open (begun, not committed). */
  get open(): boolean {
    return this.current !== undefined;
  }

  /** Forgets an open transaction (the stream restarts: it will be sent again). */
  reset(): void {
    this.current = undefined;
    this.changes = 0;
  }

  /** Handles one message; returns the transaction when `message` commits it. */
  receive(message: Pgoutput.Message): CommittedTransaction | undefined {
    switch (message.tag) {
      case 'begin':
        this.current = new InvalidationSet(this.maxInvalidations, this.fallbacks);
        this.changes = 0;
        this.xid = message.xid;
        return undefined;
      case 'insert':
      case 'update':
      case 'delete':
        this.change(message);
        return undefined;
      case 'truncate':
        for (const relation of message.relations) {
          const id = `${relation.schema}.${relation.name}`;
          if (!this.tables.has(id)) continue;
          this.changes++;
          this.set().fallBack(id);
          this.onFallback(id, 'truncate');
        }
        return undefined;
      case 'commit':
        return this.commit(message);
      default:
        return undefined;
    }
  }

  private change(message: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete): void {
    const relation = message.relation;
    const id = `${relation.schema}.${relation.name}`;
    const table = this.tables.get(id);
    if (table === undefined) return;
    this.changes++;
    const set = this.set();
    const columns = new Set(relation.columns.map((column) => column.name));
    const oldRow = message.tag === 'insert' ? null : (message.old ?? message.key);
    const change: RowChange = {
      kind: message.tag,
      table: id,
      new: message.tag === 'delete' ? null : sentRow(message.new, columns, id, 'new'),
      old: oldRow === null ? null : sentRow(oldRow, columns, id, 'old'),
      keyOnly: message.tag !== 'insert' && message.old === null && message.key !== null,
    };
    let invalidation: CdcInvalidation | undefined;
    try {
      invalidation = table.map(change);
      if (invalidation !== undefined) this.validate(invalidation);
    } catch (error) {
      set.fallBack(id);
      this.onFallback(id, 'mapping-error', error);
      return;
    }
    if (invalidation === undefined) return;
    for (const fallen of set.add(id, invalidation)) this.onFallback(fallen, 'too-many');
  }

  private commit(message: Pgoutput.MessageCommit): CommittedTransaction | undefined {
    const invalidations = this.current;
    this.current = undefined;
    if (invalidations === undefined || message.commitEndLsn === null) return undefined;
    return {
      invalidations,
      endLsn: message.commitEndLsn,
      committedAt: PG_EPOCH_MS + Number(BigInt(message.commitTime.toString()) / 1000n),
      changes: this.changes,
      xid: this.xid,
    };
  }

  /** The open transaction's set (one is opened if a change came without a begin). */
  private set(): InvalidationSet {
    return (this.current ??= new InvalidationSet(this.maxInvalidations, this.fallbacks));
  }
}
