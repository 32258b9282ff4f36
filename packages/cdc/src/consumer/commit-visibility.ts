import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * Whether every transaction id (32-bit, as pgoutput sends it) is visible to a new snapshot. The
 * full id is rebuilt from the snapshot's `xmax` (the ids are recent: each committed before now).
 */
const VISIBLE_SQL = `
select coalesce(bool_and(pg_visible_in_snapshot(
         (m.xmax - ((m.xmax % 4294967296) - x + 4294967296) % 4294967296)::text::xid8, m.snap)), true) as visible
from (select s as snap, pg_snapshot_xmax(s)::text::bigint as xmax from pg_current_snapshot() s) m,
     unnest($1::bigint[]) as x`;

/** Longest wait for committed transactions to become visible before the batch fails. */
const VISIBLE_WITHIN_MS = 10_000;
const POLL_MS = 1;

/**
 * Waits until committed transactions are visible to other sessions. PostgreSQL writes and flushes
 * a commit record (which the walsender may then decode and send at once) a moment before the
 * committing backend leaves the running set: a reader whose snapshot is taken in that moment
 * still sees the old row. An invalidation applied then would let such a reader cache the old
 * value under a token taken after the invalidation, for good. So a batch's invalidations are
 * applied only once its transactions are visible (one query on a connection of its own, almost
 * always answered "visible" at once).
 */
export class CommitVisibility {
  private client: pg.Client | undefined;

  constructor(private readonly connection: string) {}

  /**
   * Resolves once every transaction of `xids` is visible to a new snapshot.
   *
   * @throws when the database does not answer, or they are still not visible after 10 s.
   */
  async wait(xids: readonly number[]): Promise<void> {
    if (xids.length === 0) return;
    const client = await this.connected();
    const deadline = Date.now() + VISIBLE_WITHIN_MS;
    for (;;) {
      const result = await client.query<{ visible: boolean }>(VISIBLE_SQL, [xids]);
      if (result.rows[0]?.visible !== false) return;
      if (Date.now() > deadline)
        throw new Error(
          `committed transactions ${xids.join(', ')} are not visible after ${VISIBLE_WITHIN_MS} ms`,
        );
      await sleep(POLL_MS);
    }
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connected(): Promise<pg.Client> {
    if (this.client !== undefined) return this.client;
    const client = new pg.Client({
      connectionString: this.connection,
      connectionTimeoutMillis: 10_000,
      query_timeout: 10_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }
}
