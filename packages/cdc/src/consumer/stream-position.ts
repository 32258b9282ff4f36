import { laterLsn, parseLsn } from '../replication/lsn.js';

/** Where the consumer stands in the WAL: confirmed, received, and how far behind that is. */
export class StreamPosition {
  /** Everything up to here is applied and confirmed (`undefined` before the first confirmation). */
  confirmed: string | undefined;
  /** The server's WAL end as last heard of (keepalives, commits). */
  server: string | undefined;
  /** Commit time (ms) of the oldest transaction received and not yet applied. */
  pendingSince: number | undefined;

  /** Records a confirmed position. */
  confirm(lsn: string): void {
    this.confirmed = this.confirmed === undefined ? lsn : laterLsn(this.confirmed, lsn);
    this.hear(lsn);
  }

  /** Records a position the server reached. */
  hear(lsn: string): void {
    this.server = this.server === undefined ? lsn : laterLsn(this.server, lsn);
  }

  /** Bytes of WAL between the server's end and the confirmed position (0 when not known). */
  get lagBytes(): number {
    if (this.confirmed === undefined || this.server === undefined) return 0;
    const lag = parseLsn(this.server) - parseLsn(this.confirmed);
    return lag > 0n ? Number(lag) : 0;
  }

  /** Seconds since the oldest unapplied commit (0 when everything received is applied). */
  lagSeconds(now = Date.now()): number {
    return this.pendingSince === undefined ? 0 : Math.max(0, now - this.pendingSince) / 1000;
  }
}
