import type { JournalRecord } from './journal-record.js';

/** One unflushed write: the latest record of a key (coalesced), with its retry state. */
export interface PendingWrite {
  readonly key: string;
  readonly record: JournalRecord;
  attempts: number;
  notBefore: number;
  /** When the key's oldest unflushed write was journaled (coalesced writes keep it). */
  readonly since: number;
  /** A re-driven write: evict the key's cache entry once delivered (the database decides). */
  readonly evict?: boolean;
}

/**
 * The unflushed writes of the in-memory journal: per key, the latest write waiting for the
 * flusher, and the one being written. A key can have both: a write arriving while its key is
 * being written waits for the next batch. Waiting writes are kept in flush order.
 */
export class PendingWrites {
  private readonly pending = new Map<string, PendingWrite>();
  private readonly inFlight = new Map<string, PendingWrite>();

  /** Unflushed records (waiting and being written). */
  get size(): number {
    return this.pending.size + this.inFlight.size;
  }

  /** When the oldest unflushed write was journaled (epoch ms); `undefined` when none is. */
  get oldestSince(): number | undefined {
    let oldest: number | undefined;
    for (const map of [this.pending, this.inFlight])
      for (const write of map.values())
        if (oldest === undefined || write.since < oldest) oldest = write.since;
    return oldest;
  }

  /** The write of `key` waiting for the flusher, if any. */
  pendingOf(key: string): PendingWrite | undefined {
    return this.pending.get(key);
  }

  /** The write of `key` being written, if any. */
  inFlightOf(key: string): PendingWrite | undefined {
    return this.inFlight.get(key);
  }

  /** Whether `key` has an unflushed write (waiting or being written). */
  has(key: string): boolean {
    return this.pending.has(key) || this.inFlight.has(key);
  }

  /** Whether `maxKeys` distinct keys have unflushed writes (waiting, being written, or both). */
  isFull(maxKeys: number): boolean {
    if (this.size < maxKeys) return false;
    let both = 0;
    for (const key of this.inFlight.keys()) if (this.pending.has(key)) both++;
    return this.size - both >= maxKeys;
  }

  /** Makes `write` its key's waiting write, flushed last: the flush order is the order of writes. */
  append(write: PendingWrite): void {
    this.pending.delete(write.key);
    this.pending.set(write.key, write);
  }

  /** Makes `write` its key's waiting write, in the place of the one it replaces (else last). */
  put(write: PendingWrite): void {
    this.pending.set(write.key, write);
  }

  /**
   * Hands a failed write back to wait for its retry. A newer increment of its key that arrived
   * meanwhile absorbs it: one record carrying both sums, at the newer version, with the failed
   * write's retry state (a newer set or delete supersedes it: the caller drops it instead).
   */
  requeue(write: PendingWrite): void {
    const newer = this.pending.get(write.key);
    const { record } = write;
    if (newer === undefined || newer.record.kind !== 'increment' || record.kind !== 'increment') {
      this.pending.set(write.key, write);
      return;
    }
    const merged = {
      kind: 'increment',
      version: newer.record.version,
      delta: record.delta + newer.record.delta,
    } as const;
    this.pending.set(write.key, {
      key: write.key,
      record: merged,
      attempts: write.attempts,
      notBefore: write.notBefore,
      since: write.since,
    });
  }

  /**
   * Moves at most `limit` waiting writes in flight, in flush order, and returns them: those whose
   * retry backoff is over at `now`, or all of them with `ignoreBackoff`.
   */
  startBatch(limit: number, ignoreBackoff: boolean, now: number): PendingWrite[] {
    const batch: PendingWrite[] = [];
    for (const write of this.pending.values()) {
      if (batch.length >= limit) break;
      if (!ignoreBackoff && write.notBefore > now) continue;
      batch.push(write);
    }
    for (const write of batch) {
      this.pending.delete(write.key);
      this.inFlight.set(write.key, write);
    }
    return batch;
  }

  /** Ends the write in flight of `key` (delivered, or failed: then {@link requeue}d or dropped). */
  finish(key: string): void {
    this.inFlight.delete(key);
  }
}
