import { CacheStoreError } from '../errors/cache-store.error.js';
import type { StrataEvents } from '../events/strata-events.js';
import { STRATA_SPANS, withSpan } from '../tracing/strata-tracing.js';
import type { CacheWriter } from '../strategies/cache-writer.interface.js';
import type { DeadLetter } from './dead-letter.js';
import { deliverRecords, retryDelay, type KeyedRecord } from './journal-delivery.js';
import { HeldRecords } from './held-records.js';
import type { PartitionKeys } from './journal-partition.keys.js';
import { RedisDeadLettering } from './redis-dead-lettering.js';
import type { RedisJournal } from './redis-journal.js';
import type { ParsedEntries } from './stream-entries.js';
import { sortTaken } from './taken-records.js';

/** Options of a {@link RedisJournalFlusher} (durations in ms). */
export interface RedisFlusherOptions {
  readonly cache: string;
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  /** Records another consumer left unacknowledged this long are claimed. */
  readonly claimIdleMs: number;
  readonly drainTimeoutMs: number;
}

/** Stream records read per pass, per key delivered (`batchSize`). */
const READ_FACTOR = 10;

/** Most stream records one read asks for (keeps replies well inside the command timeout). */
const MAX_READ = 5_000;

/**
 * Reads a cache's journal streams through the consumer group and hands the writes to the writer:
 * new records (`XREADGROUP >`), and records a crashed instance left pending (`XAUTOCLAIM` after
 * `claimIdle`). The stream records only say "key K changed at version V"; the value delivered is
 * the key's latest record, taken atomically from the pending hash, so writes to one key coalesce.
 * Records are acknowledged and deleted only after the writer succeeded (at-least-once: a crash
 * between the two redelivers the same version, which a versioned writer ignores).
 */
export class RedisJournalFlusher<T> {
  private readonly held = new Map<number, HeldRecords>();
  private readonly dead: RedisDeadLettering;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private closed = false;
  /** The last pass read as many records as it asked for: run the next one without waiting. */
  private backlog = false;
  /** A pass failed: records read for this consumer may not have reached `held`. */
  private lostReplies = false;
  /** When the next pass removes consumers that hold nothing (at most once per `claimIdle`). */
  private nextPrune = 0;

  constructor(
    private readonly journal: RedisJournal,
    private readonly writer: CacheWriter<T>,
    private readonly events: StrataEvents,
    private readonly options: RedisFlusherOptions,
    /**
     * Evicts a key's cache entry (awaited): when its record is dead-lettered (the cache holds a
     * value the database never got), and when a re-driven record is delivered.
     */
    private readonly evict: (key: string) => Promise<void>,
    /** Runs at the start of each pass while Redis answers (replays of the fallback path). */
    private readonly beforePass: () => Promise<void>,
  ) {
    this.dead = new RedisDeadLettering(journal, events, options.cache, evict);
  }

  /**
   * Dead letters this instance made, most recent 1 000, re-driven or purged since or not (the
   * unresolved ones of every instance: `RedisJournal.deadLetters`).
   */
  get deadLettered(): readonly DeadLetter[] {
    return this.dead.recent;
  }

  /** Starts the periodic flusher. */
  start(): void {
    this.schedule();
  }

  /**
   * Writes everything unflushed now, ignoring backoff, until this instance holds nothing and the
   * streams have no undelivered record (records other live instances hold are theirs). Rejects
   * when Redis fails.
   */
  async flush(): Promise<void> {
    let failures = 0;
    for (;;) {
      try {
        if (!(await this.pass(true))) return;
        failures = 0;
      } catch (error) {
        // A command timeout under load is worth another try; Redis really gone is not.
        if (++failures >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * failures));
      }
    }
  }

  /** Delivers a key's writes up to version `upTo` (the newest a read saw in the journal) now. */
  async flushKey(key: string, upTo: number): Promise<void> {
    const p = this.journal.partitionOf(key);
    for (;;) {
      const [raw = ''] = await this.journal.take(p, [key]);
      const record = raw === '' ? undefined : this.journal.parse(key, raw);
      // Unreadable: the next pass that reads its stream record dead-letters it.
      if (record === undefined) return;
      await deliverRecords(this.writer, this.options.cache, [{ key, record }]);
      // The stream records stay: whoever reads them finds nothing in flight and acknowledges them.
      await this.journal.ack(p, [{ key, version: record.version }], []);
      // A take answers a record in flight before the pending one, which a count loaded now would
      // miss; each take answers a newer record, so this ends.
      if (record.version >= upTo) return;
    }
  }

  /**
   * Stops the flusher and drains for at most `drainTimeoutMs`. What is left stays in the Redis
   * journal, durable: another instance (or this one, restarted) delivers it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush().catch((error: unknown) => this.reportRedis(error)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    // A pass still running (a writer that never settles) cannot be cancelled; nothing is lost.
  }

  private schedule(delayMs = this.options.flushIntervalMs): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.pass(false)
        .catch((error: unknown) => this.reportRedis(error))
        .finally(() => this.schedule(this.backlog ? 0 : this.options.flushIntervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private reportRedis(error: unknown): void {
    this.events.emit('l2:error', { operation: 'journal', error: new CacheStoreError('journal', error) });
  }

  // One pass at a time; a second caller waits for the running one (and then runs its own).
  private async pass(force: boolean): Promise<boolean> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
    this.running = this.runPass(force).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** One pass over every partition; resolves whether there was anything to do. */
  private async runPass(force: boolean): Promise<boolean> {
    this.backlog = false;
    await this.beforePass();
    let busy = false;
    // After a failed pass (or when asked to flush), records delivered to this consumer whose
    // reply was lost (a command timeout) are read back from its own pending list.
    const recover = force || this.lostReplies;
    this.lostReplies = false;
    // Every restart adds a consumer name to the group; those holding nothing are dropped.
    const prune = Date.now() >= this.nextPrune;
    if (prune) this.nextPrune = Date.now() + this.options.claimIdleMs;
    for (const p of this.journal.partitions) {
      const held = this.heldOf(p.index);
      try {
        if (prune) await this.journal.pruneConsumers(p, this.options.claimIdleMs);
        // Entries read but none held (all poison, or keys delivered already): the stream may hold
        // more behind them, so a flush goes on.
        if (await this.passOver(p, held, force, recover)) busy = true;
      } catch (error) {
        this.lostReplies = true;
        throw error;
      }
      if (held.size > 0) busy = true;
    }
    return busy;
  }

  /**
   * One partition: gather records (own pending list, idle ones of others, new ones), deliver.
   * Resolves whether any entry was read.
   */
  private async passOver(
    p: PartitionKeys,
    held: HeldRecords,
    force: boolean,
    recover: boolean,
  ): Promise<boolean> {
    const wanted = Math.min(this.options.batchSize * READ_FACTOR, MAX_READ);
    let read = 0;
    if (recover) read += await this.hold(p, held, await this.journal.readOwn(p, wanted));
    read += await this.hold(
      p,
      held,
      await this.journal.claim(p, this.options.claimIdleMs, this.options.batchSize),
    );
    // Records of one key coalesce into one delivery, so a pass reads many more records than it
    // delivers keys: the stream drains faster than writes arrive even when keys are hot.
    if (held.size < this.options.batchSize) {
      const fresh = await this.hold(p, held, await this.journal.readNew(p, wanted));
      if (fresh === wanted) this.backlog = true;
      read += fresh;
    }
    await this.deliverDue(p, held, force);
    return read > 0;
  }

  private heldOf(partition: number): HeldRecords {
    let held = this.held.get(partition);
    if (held === undefined) this.held.set(partition, (held = new HeldRecords()));
    return held;
  }

  /**
   * Holds the records read until delivered; dead-letters the poison entries at once (no retry
   * makes an entry readable, and left pending it would be claimed and re-read forever) and
   * acknowledges the entries deleted since they were delivered. Resolves how many entries it got.
   */
  private async hold(p: PartitionKeys, held: HeldRecords, read: ParsedEntries): Promise<number> {
    if (read.gone.length > 0) await this.journal.ack(p, [], read.gone);
    for (const poison of read.poison) await this.dead.poison(p, poison);
    held.add(read.records);
    return read.records.length + read.poison.length + read.gone.length;
  }

  private async deliverDue(p: PartitionKeys, held: HeldRecords, force: boolean): Promise<void> {
    const due = held.due(this.options.batchSize, force, Date.now());
    if (due.length === 0) return;
    const taken = await this.journal.take(p, due);
    const { fresh, retries, nothing, unreadable } = sortTaken(
      due,
      taken,
      (key) => held.isRetry(key),
      this.journal,
    );
    // A pending record that cannot be parsed or decoded: no retry fixes it, and left in flight it
    // would shadow every later write of its key.
    for (const { key, raw, reason } of unreadable)
      await this.dead.unreadableRecord(p, key, raw, reason, held.release(key, Number.MAX_SAFE_INTEGER));
    // Nothing unflushed for these keys: someone delivered their writes already.
    if (nothing.length > 0) {
      await this.journal.ack(
        p,
        [],
        nothing.flatMap((key) => held.release(key, Number.MAX_SAFE_INTEGER)),
      );
    }
    // Records that already failed go alone, so one poison record cannot fail a batch again.
    if (fresh.length > 0) await this.deliver(p, held, fresh);
    for (const retry of retries) await this.deliver(p, held, [retry]);
  }

  private async deliver(p: PartitionKeys, held: HeldRecords, batch: KeyedRecord[]): Promise<void> {
    const started = performance.now();
    try {
      const cache = this.options.cache;
      await withSpan(STRATA_SPANS.flush, { 'strata.cache': cache, 'strata.batch_size': batch.length }, () =>
        deliverRecords(this.writer, cache, batch),
      );
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      for (const item of batch) await this.failed(p, held, item, error);
      return;
    }
    const evict = batch.filter(({ key, record }) => held.evicts(key, record.version));
    const ids = batch.flatMap(({ key, record }) => held.release(key, record.version));
    await this.journal.ack(
      p,
      batch.map(({ key, record }) => ({ key, version: record.version })),
      ids,
    );
    // Re-driven writes: the database decided (a versioned writer keeps a newer value), the
    // cache follows it.
    for (const { key } of evict) await this.evict(key);
    this.events.emit('write-behind:flushed', {
      cache: this.options.cache,
      size: batch.length,
      durationMs: performance.now() - started,
    });
  }

  /** A failed delivery of one record: retried after a backoff, dead-lettered after `maxAttempts`. */
  private async failed(p: PartitionKeys, held: HeldRecords, item: KeyedRecord, error: Error): Promise<void> {
    const { key, record } = item;
    const { cache, maxAttempts, retryBaseMs } = this.options;
    const attempt = held.failed(key, maxAttempts, (failures) => retryDelay(retryBaseMs, failures));
    if (attempt === undefined) return;
    if (attempt < maxAttempts) {
      this.events.emit('write-behind:retry', { cache, key, attempt, error });
      return;
    }
    await this.dead.failed(p, key, record, error, held.release(key, record.version));
  }
}
