import type { Client } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { asError } from '../errors/as-error.js';
import { formatLsn, parseLsn } from './lsn.js';

/** What a {@link ReplicationStream} hands on, synchronously and in stream order. */
export interface StreamHandlers {
  /** A pgoutput message (begin, relation, insert, update, delete, truncate, commit, …). */
  readonly onMessage: (message: Pgoutput.Message) => void;
  /** A server keepalive: the server's WAL end, and whether it asks for a status at once. */
  readonly onKeepalive: (walEnd: string, shouldRespond: boolean) => void;
  /** The server accepted `START_REPLICATION`: the slot exists and is read by this connection. */
  readonly onStart: () => void;
}

/** The slot a stream reads: the fleet's, or one made for this connection alone. */
export interface StreamSlot {
  readonly name: string;
  /** Created by the stream's own connection, dropped when it ends (memory-only instances). */
  readonly temporary: boolean;
}

/** pgoutput, creating a temporary slot on the replication connection first when asked to. */
class SlotPlugin extends PgoutputPlugin {
  constructor(
    publication: string,
    private readonly temporary: boolean,
  ) {
    super({ protoVersion: 1, publicationNames: [publication] });
  }

  override async start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    if (this.temporary)
      await client.query(`CREATE_REPLICATION_SLOT "${slotName}" TEMPORARY LOGICAL pgoutput`);
    return super.start(client, slotName, lastLsn);
  }
}

/**
 * One logical replication connection reading a slot through `pg-logical-replication`, whose
 * positions are confirmed by the caller only: the library's automatic acknowledgement and its
 * periodic status (which would report the last position received, applied or not) are off, and
 * keepalives are handed to the caller to answer.
 */
export class ReplicationStream {
  private readonly service: LogicalReplicationService;
  private failure: unknown;
  private stopRequested = false;
  /** A stop made when the connection came up after `stop()` was called. */
  private lateStop: Promise<unknown> | undefined;

  constructor(
    connection: string,
    private readonly slot: StreamSlot,
    private readonly publication: string,
    private readonly handlers: StreamHandlers,
  ) {
    this.service = new LogicalReplicationService(
      { connectionString: connection, application_name: `strata-cdc:${slot.name}` },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    this.service.on('data', (_lsn: string, message: Pgoutput.Message) => handlers.onMessage(message));
    this.service.on('heartbeat', (lsn: string, _at: number, shouldRespond: boolean) =>
      handlers.onKeepalive(lsn, shouldRespond),
    );
    // stop() while connecting: the library's own stop may have run before its client existed.
    this.service.on('start', () => {
      if (this.stopRequested) this.lateStop ??= this.service.stop();
      else handlers.onStart();
    });
    // The connection's errors also end `run` (as a rejection or an early end).
    this.service.on('error', (error: unknown) => {
      this.failure ??= error;
    });
  }

  /**
   * Streams from the slot's confirmed position (`from` only moves it forward) until the
   * connection ends. Resolves on `stop()`; rejects when the connection or the server fails.
   */
  async run(from = '0/0'): Promise<void> {
    if (this.stopRequested) return;
    this.failure = undefined;
    try {
      await this.service.subscribe(
        new SlotPlugin(this.publication, this.slot.temporary),
        this.slot.name,
        from,
      );
    } finally {
      await this.lateStop;
    }
    if (!this.service.isStop()) await this.service.stop();
    if (this.failure !== undefined && !this.stopRequested) throw asError(this.failure);
  }

  /** Whether the stream is running. */
  get streaming(): boolean {
    return !this.service.isStop();
  }

  /**
   * Tells the server every change up to `lsn` is applied (the slot may release that WAL).
   *
   * @returns `false` when the stream is not running.
   */
  confirm(lsn: string): Promise<boolean> {
    // The library reports the position it is given plus one byte. The server's walsender only
    // finishes a shutdown once the reported position equals what it sent, so it gets `lsn` itself.
    const position = parseLsn(lsn);
    return this.service.acknowledge(formatLsn(position > 0n ? position - 1n : 0n));
  }

  /** Ends the connection; what was not confirmed is sent again to the next stream. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.service.stop();
  }
}
