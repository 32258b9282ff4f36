import type { CacheStack } from '@strata/core';
import { confirmInvalidation } from '@strata/core/internal';
import type { Pgoutput } from 'pg-logical-replication';
import type { CdcEvents } from '../events/cdc-events.js';
import { CommitVisibility } from './commit-visibility.js';
import type { CdcInvalidation } from '../options/row-change.js';
import { ReplicationStream, type StreamSlot } from '../replication/replication-stream.js';
import type { InvalidationSet } from './invalidation-set.js';
import type { MappedTables } from './mapped-tables.js';
import type { StreamPosition } from './stream-position.js';
import { TransactionAssembler } from './transaction-assembler.js';
import { asError } from '../errors/as-error.js';

/** What a {@link SlotSession} works with, shared by the consumer's sessions. */
export interface SessionContext {
  readonly stack: CacheStack;
  readonly events: CdcEvents;
  readonly tables: MappedTables;
  readonly maxInvalidations: number;
  readonly validate: (invalidation: CdcInvalidation) => void;
  readonly position: StreamPosition;
}

/** Committed transactions received and not yet applied, merged into one set. */
interface Pending {
  readonly invalidations: InvalidationSet;
  /** The position to confirm once applied (none for what a new slot falls back to). */
  endLsn: string | undefined;
  transactions: number;
  changes: number;
  /** Commit time (ms) of its oldest transaction. */
  readonly since: number;
  /** Ids of its transactions that changed mapped tables: applied once visible to readers. */
  readonly xids: number[];
}

/**
 * One replication connection's life: messages are assembled into committed transactions, whose
 * invalidations are applied one batch at a time (what commits meanwhile is merged into the next
 * batch, bounded like a transaction), and a batch's end position is confirmed only once
 * `confirmInvalidation` resolved, so a crash or a failure re-reads from the last position whose
 * invalidations landed. A failed batch ends the session: the next one starts from there.
 *
 * When nothing is open or waiting, a keepalive's position is confirmed as well, so an idle slot
 * does not hold WAL back; a keepalive that asks for an answer otherwise gets the confirmed one.
 */
export class SlotSession {
  private readonly stream: ReplicationStream;
  private readonly assembler: TransactionAssembler;
  private readonly visibility: CommitVisibility;
  private pending: Pending | undefined;
  private applying: Promise<void> | undefined;
  private failure: unknown;
  /** What failed: applying a batch, or (when unset) the stream itself. */
  private failedStep: 'apply' | undefined;
  private stopped = false;
  /** Status messages sent to the server: `stop` waits for them. */
  private readonly replies = new Set<Promise<unknown>>();

  constructor(
    private readonly context: SessionContext,
    connection: string,
    slot: StreamSlot,
    publication: string,
    /** Called once the server streams the slot to this connection. */
    onStart: () => void,
    /**
     * What to apply first, once the slot streams: a new temporary slot, or a slot made again after
     * it was dropped, starts from now, so what changed before it falls back.
     */
    private readonly startWith?: InvalidationSet,
  ) {
    this.assembler = new TransactionAssembler(
      context.tables,
      context.maxInvalidations,
      context.validate,
      (table, reason, error) => context.events.emit('cdc:fallback', { table, reason, error }),
    );
    this.visibility = new CommitVisibility(connection);
    this.stream = new ReplicationStream(connection, slot, publication, {
      onMessage: (message) => this.receive(message),
      onKeepalive: (walEnd, shouldRespond) => this.keepalive(walEnd, shouldRespond),
      onStart: () => {
        const startWith = this.startWith;
        if (startWith !== undefined) {
          this.queue({
            invalidations: startWith,
            endLsn: undefined,
            transactions: 0,
            changes: 0,
            since: Date.now(),
            xids: [],
          });
        }
        onStart();
      },
    });
  }

  /**
   * Streams from the slot's confirmed position until `stop()` (resolves) or a failure of the
   * connection or of applying a batch (rejects with it).
   */
  async run(): Promise<void> {
    try {
      await this.stream.run(this.context.position.confirmed);
    } finally {
      this.stopped = true;
      await this.applying;
      await Promise.all([...this.replies]);
      await this.visibility.close();
      this.context.position.pendingSince = undefined;
    }
    if (this.failure !== undefined) throw asError(this.failure);
  }

  /** What failed when `run` rejected: applying a batch, or the stream. */
  get failedDuring(): 'apply' | 'stream' {
    return this.failedStep ?? 'stream';
  }

  /** Ends the connection; a batch being applied finishes, but its position is not confirmed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stream.stop();
  }

  private receive(message: Pgoutput.Message): void {
    if (this.stopped) return;
    const transaction = this.assembler.receive(message);
    if (transaction === undefined) return;
    this.context.position.hear(transaction.endLsn);
    const { invalidations, endLsn, changes, committedAt, xid } = transaction;
    this.queue({
      invalidations,
      endLsn,
      transactions: 1,
      changes,
      since: committedAt,
      xids: changes > 0 ? [xid] : [],
    });
  }

  /** Adds committed transactions' invalidations to what waits, and starts applying it. */
  private queue(next: Pending): void {
    const pending = this.pending;
    this.context.position.pendingSince ??= next.since;
    if (pending === undefined) this.pending = next;
    else {
      for (const table of pending.invalidations.merge(next.invalidations))
        this.context.events.emit('cdc:fallback', { table, reason: 'too-many' });
      pending.endLsn = next.endLsn ?? pending.endLsn;
      pending.transactions += next.transactions;
      pending.changes += next.changes;
      pending.xids.push(...next.xids);
    }
    this.applying ??= this.applyPending().finally(() => {
      this.applying = undefined;
    });
  }

  /** Applies batches until none waits; a failure stops the session. */
  private async applyPending(): Promise<void> {
    const { stack, events, position } = this.context;
    while (this.pending !== undefined && !this.stopped) {
      const batch = this.pending;
      this.pending = undefined;
      const request = batch.invalidations.toRequest();
      try {
        if (!batch.invalidations.empty) {
          await this.visibility.wait(batch.xids);
          await confirmInvalidation(stack, request);
        }
      } catch (error) {
        this.failure = error;
        this.failedStep = 'apply';
        await this.stream.stop();
        return;
      }
      if (this.stopped) return;
      const endLsn = batch.endLsn;
      if (endLsn !== undefined) {
        await this.stream.confirm(endLsn);
        position.confirm(endLsn);
      }
      // `pending` may have been refilled while the batch was applied.
      position.pendingSince = (this.pending as Pending | undefined)?.since;
      events.emit('cdc:applied', {
        transactions: batch.transactions,
        changes: batch.changes,
        keys: request.keys?.length ?? 0,
        tags: request.tags?.length ?? 0,
        namespaces: request.namespaces?.length ?? 0,
        lsn: endLsn ?? position.confirmed ?? '0/0',
        lagMs: Math.max(0, Date.now() - batch.since),
      });
    }
  }

  private keepalive(walEnd: string, shouldRespond: boolean): void {
    if (this.stopped) return;
    const position = this.context.position;
    position.hear(walEnd);
    const idle = !this.assembler.open && this.pending === undefined && this.applying === undefined;
    if (idle) position.confirm(walEnd);
    if (!idle && !shouldRespond) return;
    const confirmed = position.confirmed;
    if (confirmed === undefined) return;
    const reply = this.stream.confirm(confirmed).catch(() => false);
    this.replies.add(reply);
    void reply.finally(() => this.replies.delete(reply));
  }
}
