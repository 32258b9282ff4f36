import { StrataError } from '../errors/strata.error.js';
import { QueueFullError } from '../errors/queue-full.error.js';
import type { StrataEvents } from '../events/strata-events.js';
import { STRATA_SPANS, withSpan } from '../tracing/strata-tracing.js';
import type { CacheWriter } from '../strategies/cache-writer.interface.js';
import type { HybridClock } from '../strategies/hybrid-clock.js';
import { DeadLetterNotRedrivableError } from '../errors/dead-letter-not-redrivable.error.js';
import { UnknownDeadLetterError } from '../errors/unknown-dead-letter.error.js';
import { abridge, MAX_POISON_TEXT } from './stream-entries.js';
import {
  announceDeadLetter,
  errorText,
  MemoryDeadLetters,
  type DeadLetter,
  type RedriveOutcome,
} from './dead-letter.js';
import { deliverRecords, retryDelay } from './journal-delivery.js';
import { planRedrive } from './dead-letter-redrive.js';
import { recordFor, type JournalRecord, type JournalWrite } from './journal-record.js';
import { PendingWrites, type PendingWrite } from './pending-writes.js';
import type { WriteBehindQueueOptions } from './write-behind.options.js';

/**
 * The in-memory write-behind journal: the latest write of each key waits here until a flusher
 * hands it to the writer, in batches, coalesced (ten writes to one key become one; a delete is a
 * write). Failed records are retried one by one with exponential backoff and jitter, so a poison
 * record cannot hold back the others, and set aside after `maxAttempts`. It survives a clean
 * shutdown (which drains it; writes arriving after that go straight to the writer), never a
 * crash: that is what a Redis journal is for.
 */
export class WriteBehindQueue<T> {
  private readonly writes = new PendingWrites();
  private readonly deadLetters = new MemoryDeadLetters();
  private readonly roomWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly writer: CacheWriter<T>,
    private readonly clock: HybridClock,
    private readonly events: StrataEvents,
    private readonly options: WriteBehindQueueOptions,
    /** Evicts a key's cache entry (awaited): when it is dead-lettered, and when a re-driven write is delivered. */
    private readonly evict: (key: string) => Promise<void> = () => Promise.resolve(),
  ) {
    this.schedule();
  }

  /** Unflushed records (pending and being written). */
  get length(): number {
    return this.writes.size;
  }

  /** When the oldest unflushed write was journaled (epoch ms); `undefined` when none is. */
  get oldestPendingAt(): number | undefined {
    return this.writes.oldestSince;
  }

  /** Unresolved dead letters (at most 10 000, oldest first): neither re-driven nor purged. */
  get deadLettered(): readonly DeadLetter[] {
    return this.deadLetters.entries;
  }

  /** How many dead letters are unresolved. */
  get deadLetterCount(): number {
    return this.deadLetters.size;
  }

  /**
   * Journals a dead letter's write again, with the rules of the Redis journal's re-drive: a set or
   * delete keeps its version and is moot when a newer set or delete of its key is unflushed; an
   * increment is added to a pending one, else gets a new version. Throws
   * `UnknownDeadLetterError` or `DeadLetterNotRedrivableError`.
   */
  redrive(id: string): { outcome: RedriveOutcome; key: string } {
    const cache = this.options.cache;
    const found = this.deadLetters.get(id);
    if (found === undefined) throw new UnknownDeadLetterError(cache, id);
    const { letter, record } = found;
    if (record === undefined)
      throw new DeadLetterNotRedrivableError(
        cache,
        id,
        'the entry was unreadable: there is no write to deliver',
      );
    const { key } = letter;
    const pending = this.writes.pendingOf(key);
    const plan = planRedrive(record, pending?.record, this.writes.inFlightOf(key)?.record, () =>
      this.clock.next(),
    );
    if (plan.outcome === 'conflict') throw new DeadLetterNotRedrivableError(cache, id, plan.reason);
    this.deadLetters.delete(id);
    if (plan.outcome === 'superseded') return { outcome: 'superseded', key };
    this.writes.put({
      key,
      record: plan.record,
      attempts: 0,
      notBefore: 0,
      since: pending?.since ?? Date.now(),
      evict: true,
    });
    return { outcome: 'requeued', key };
  }

  /** Removes one dead letter (throws `UnknownDeadLetterError` when unknown), or all; resolves how many went. */
  purge(id?: string): number {
    if (id === undefined) return this.deadLetters.clear();
    if (!this.deadLetters.delete(id)) throw new UnknownDeadLetterError(this.options.cache, id);
    return 1;
  }

  /**
   * The latest unflushed record of `key` (pending, else being written); `undefined` when nothing
   * is unflushed. Reads consult this on a miss, so a pending write is seen even after its cache
   * entry expired.
   */
  latest(key: string): JournalRecord | undefined {
    return (this.writes.pendingOf(key) ?? this.writes.inFlightOf(key))?.record;
  }

  /**
   * Journals a write (a set's value comes from `encodeValue`: a snapshot the caller can no longer
   * change), a delete or a counter delta; waits or rejects when the queue is full. Throws
   * `E_NOT_A_COUNTER` when a delta meets a pending value that is not an integer.
   */
  async enqueue(key: string, write: JournalWrite): Promise<number> {
    // After close nothing would flush a journaled write: write it through instead, so a request
    // still running at shutdown loses nothing (and a writer error reaches its caller).
    if (this.closed) return this.writeNow(key, write);
    // Room counts keys: a key with an unflushed write (pending or being written) takes no more.
    while (!this.writes.has(key) && this.isFull()) {
      if (this.options.onFull === 'reject')
        throw new QueueFullError(this.options.cache, this.options.maxQueueLength);
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      // Still full when shutdown released it: an explicit error, never a silent loss.
      if (this.closed) throw new QueueFullError(this.options.cache, this.options.maxQueueLength);
    }
    const version = this.clock.next();
    const previous = this.writes.pendingOf(key);
    const record = toRecord(write, version, previous?.record, key);
    const since = previous?.since ?? this.writes.inFlightOf(key)?.since ?? Date.now();
    this.writes.append({ key, record, attempts: 0, notBefore: 0, since });
    if (this.events.has('write-behind:enqueued'))
      this.events.emit('write-behind:enqueued', { cache: this.options.cache, key, kind: write.kind });
    return version;
  }

  /** Writes everything pending now, retries included (ignoring backoff), until empty or dead-lettered. */
  async flush(): Promise<void> {
    while (this.length > 0) {
      await this.flushOnce(true);
      if (this.length === 0) return;
    }
  }

  /**
   * Stops the flusher and drains the queue for at most `drainTimeoutMs`. What is still pending
   * then is reported by a `write-behind:abandoned` event (and lost: the journal is in memory).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      this.flush().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    // A writer call that never settles cannot be cancelled; shutdown stops waiting for it.
    if (gaveUp) this.events.emit('write-behind:abandoned', { cache: this.options.cache, count: this.length });
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  private async writeNow(key: string, write: JournalWrite): Promise<number> {
    const version = this.clock.next();
    const record = toRecord(write, version, undefined, key);
    await deliverRecords(this.writer, this.options.cache, [{ key, record }]);
    return version;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.flushOnce(false)
        // Writer failures are handled per record; anything else is a bug worth a loud warning.
        .catch((error: unknown) => process.emitWarning(`Strata write-behind flush failed: ${String(error)}`))
        .finally(() => this.schedule());
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }

  // One flush at a time: a second caller waits for the running one.
  private flushOnce(ignoreBackoff: boolean): Promise<void> {
    this.flushing ??= this.writeBatch(ignoreBackoff).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeBatch(ignoreBackoff: boolean): Promise<void> {
    const batch = this.writes.startBatch(this.options.batchSize, ignoreBackoff, Date.now());
    if (batch.length === 0) return;
    // Records that already failed go alone, so one poison record cannot fail a whole batch again.
    const retries = batch.filter((write) => write.attempts > 0);
    const fresh = batch.filter((write) => write.attempts === 0);
    if (fresh.length > 0) await this.deliver(fresh);
    for (const write of retries) await this.deliver([write]);
    this.wakeWaiters();
  }

  private async deliver(writes: PendingWrite[]): Promise<void> {
    const started = performance.now();
    try {
      const cache = this.options.cache;
      await withSpan(STRATA_SPANS.flush, { 'strata.cache': cache, 'strata.batch_size': writes.length }, () =>
        deliverRecords(this.writer, cache, writes),
      );
      for (const write of writes) this.writes.finish(write.key);
      // Re-driven writes: the database decided (a versioned writer keeps a newer value).
      for (const write of writes) if (write.evict === true) await this.evict(write.key);
      const durationMs = performance.now() - started;
      this.events.emit('write-behind:flushed', {
        cache: this.options.cache,
        size: writes.length,
        durationMs,
      });
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      for (const write of writes) await this.failed(write, error);
    }
  }

  private async failed(write: PendingWrite, error: Error): Promise<void> {
    this.writes.finish(write.key);
    write.attempts++;
    const cache = this.options.cache;
    const { record } = write;
    const newer = this.writes.pendingOf(write.key);
    // A newer set or delete of the key arrived meanwhile: it supersedes this one. Deltas add up:
    // the failed one goes back in front of the newer ones.
    if (newer !== undefined && (record.kind !== 'increment' || newer.record.kind !== 'increment')) return;
    if (write.attempts >= this.options.maxAttempts) {
      const letter = this.deadLetters.add(write.key, record, abridge(errorText(error), MAX_POISON_TEXT));
      announceDeadLetter(this.events, cache, letter, error);
      // The cache holds a value the database never got: drop it, so reads go back to the truth.
      await this.evict(write.key);
      return;
    }
    write.notBefore = Date.now() + retryDelay(this.options.retryBaseMs, write.attempts);
    this.writes.requeue(write);
    this.events.emit('write-behind:retry', { cache, key: write.key, attempt: write.attempts, error });
  }

  /** Whether `maxQueueLength` distinct keys have unflushed writes (pending, being written, or both). */
  private isFull(): boolean {
    return this.writes.isFull(this.options.maxQueueLength);
  }

  private wakeWaiters(): void {
    while (this.roomWaiters.length > 0 && !this.isFull()) this.roomWaiters.shift()?.();
  }
}

/** The record a write becomes, coalesced with the key's pending record for a delta. */
function toRecord(
  write: JournalWrite,
  version: number,
  previous: JournalRecord | undefined,
  key: string,
): JournalRecord {
  const record = recordFor(write, version, previous);
  if (record === undefined)
    throw new StrataError(
      'E_NOT_A_COUNTER',
      `Cannot increment "${key}": its pending value is not an integer`,
    );
  return record;
}
