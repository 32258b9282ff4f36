import { decodeValue } from '../codec/value.codec.js';
import { CacheStoreError } from '../errors/cache-store.error.js';
import { JournalUnavailableError } from '../errors/journal-unavailable.error.js';
import { QueueFullError } from '../errors/queue-full.error.js';
import { StrataError } from '../errors/strata.error.js';
import { type CacheStack, engineOf } from '../stack/cache-stack.js';
import { CacheAsideCache } from '../strategies/cache-aside.strategy.js';
import type { CacheWriter } from '../strategies/cache-writer.interface.js';
import { CacheTransactions } from '../strategies/cache-transactions.js';
import type { HybridClock } from '../strategies/hybrid-clock.js';
import type { NamedCacheConfig } from '../strategies/named-cache.config.js';
import { PerKeyOrder } from '../strategies/per-key-order.js';
import { deliverRecords, missingIncrementMany } from './journal-delivery.js';
import { assertDelta, recordFor, type JournalRecord, type JournalWrite } from './journal-record.js';
import { journalWriteOf } from './journal-append.request.js';
import type { RedisJournalFlusher } from './redis-journal.flusher.js';
import type { AppendResult } from './journal-append.request.js';
import type { AppendRequest, RedisJournal } from './redis-journal.js';
import type { WriteBehindStrategyCache } from './write-behind.config.js';
import { assertLimit, type DeadLetter, type RedriveOutcome } from './dead-letter.js';
import { SupersededWrites } from './superseded-writes.js';

/** Options of a {@link RedisWriteBehindCache} (durations in ms). */
export interface RedisWriteBehindOptions {
  readonly onRedisDown: 'write-through' | 'reject';
  readonly onFull: 'wait' | 'reject';
  readonly maxQueueLength: number;
  readonly flushIntervalMs: number;
  readonly replicas: { readonly count: number; readonly timeoutMs: number } | undefined;
}

/**
 * A named cache on the write-behind strategy with the Redis journal: one script writes the cache
 * entry, assigns the write's version and appends it to the journal, atomically. Reads that miss
 * consult the journal before the loader, so a pending write is seen even after its entry
 * expired. With Redis unreachable, writes go synchronously through the writer (or are rejected).
 */
export class RedisWriteBehindCache<T> extends CacheAsideCache<T> implements WriteBehindStrategyCache<T> {
  readonly journal = 'redis' as const;
  private readonly order = new PerKeyOrder();
  /** Keys written through the fallback, with their version: journal records below it are stale. */
  private readonly superseded = new SupersededWrites();
  private closed = false;
  /** Built once: every write uses them. */
  private readonly writeOptions: { readonly namespace: string; readonly ttl: NamedCacheConfig<T>['ttl'] };
  private readonly encodeTarget: string;

  constructor(
    stack: CacheStack,
    config: NamedCacheConfig<T>,
    private readonly redis: RedisJournal,
    private readonly flusher: RedisJournalFlusher<T>,
    private readonly writer: CacheWriter<T>,
    private readonly clock: HybridClock,
    private readonly options: RedisWriteBehindOptions,
  ) {
    super(stack, config, new CacheTransactions());
    this.writeOptions = { namespace: config.name, ttl: config.ttl };
    this.encodeTarget = `${config.name} cache`;
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.flusher.deadLettered;
  }

  deadLetterCount(): Promise<number> {
    return this.redis.deadLetters.count();
  }

  async listDeadLetters(limit = 100): Promise<DeadLetter[]> {
    assertLimit(limit);
    return this.redis.deadLetters.list(limit);
  }

  async redriveDeadLetter(id: string): Promise<RedriveOutcome> {
    const { outcome, key } = await this.redis.deadLetters.redrive(id);
    // A cached count lacks the re-driven delta; a cached value may be newer or older than the
    // re-driven one: reads go back to the journal, then the database (every instance's L1 too).
    if (outcome === 'requeued') await this.stack.delete(this.cacheKey(key), { namespace: this.name });
    return outcome;
  }

  purgeDeadLetters(id?: string): Promise<number> {
    return this.redis.deadLetters.purge(id);
  }

  pending(): Promise<number> {
    return this.redis.unflushed();
  }

  oldestPendingAge(): Promise<number | undefined> {
    return this.redis.oldestPendingAge();
  }

  /** Records in the journal's streams (unflushed ones: flushed records are deleted with their ack). */
  streamLength(): Promise<number> {
    return this.redis.streamLength();
  }

  /** The Redis keys of the journal's partitions (streams, pending hashes, dead letters). */
  get partitions(): RedisJournal['partitions'] {
    return this.redis.partitions;
  }

  /** The key the cache entry is stored under: on a cluster, prefixed with its partition's hash tag. */
  cacheKey(key: string): string {
    return this.redis.isCluster ? `${this.redis.partitionOf(key).tag}:${key}` : key;
  }

  override async get(key: string): Promise<T | undefined> {
    const value = await this.stack.getOrLoad<T | null | undefined>(
      this.cacheKey(key),
      () => this.loadLatest(key),
      {
        namespace: this.name,
        ttl: this.config.ttl,
        nullTtl: this.config.nullTtl,
        target: `${this.name} loader`,
      },
    );
    return value ?? undefined;
  }

  override set(key: string, value: T): Promise<void> {
    // Checked against maxValueBytes too: the journal would carry it to Redis.
    const encoded = engineOf(this.stack).encode(this.cacheKey(key), value, {
      namespace: this.name,
      target: this.encodeTarget,
    });
    return this.order.run(key, async () => {
      const { full, ttlMs, head } = engineOf(this.stack).entryHead(
        this.cacheKey(key),
        value,
        this.writeOptions,
      );
      await this.append({
        op: 's',
        key,
        entryKey: full,
        payload: this.redis.values.seal(key, encoded),
        value: encoded,
        entryHead: head,
        entryPx: ttlMs,
        floor: this.clock.current,
      });
    });
  }

  override delete(key: string): Promise<void> {
    return this.order.run(key, async () => {
      const full = engineOf(this.stack).keys.entry(this.cacheKey(key), this.name);
      await this.append({
        op: 'd',
        key,
        entryKey: full,
        payload: '',
        entryHead: '',
        entryPx: 1,
        floor: this.clock.current,
      });
    });
  }

  async increment(key: string, delta: number): Promise<number | undefined> {
    assertDelta(delta);
    if (this.writer.incrementMany === undefined || this.redis.values.encrypts)
      throw missingIncrementMany(this.name, this.redis.values.encrypts);
    let count: number | undefined;
    await this.order.run(key, async () => {
      const { full, ttlMs, head } = engineOf(this.stack).entryHead(this.cacheKey(key), 0, this.writeOptions);
      count = await this.append({
        op: 'i',
        key,
        entryKey: full,
        payload: String(delta),
        entryHead: head,
        entryPx: ttlMs,
        floor: this.clock.current,
      });
    });
    if (count !== undefined || this.config.loader === undefined) return count;
    const loaded = await this.get(key);
    return typeof loaded === 'number' ? loaded : undefined;
  }

  flush(): Promise<void> {
    return this.flusher.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    // Appends in flight first: the final flush must see them.
    await this.redis.close();
    await this.flusher.close();
  }

  /** Replays fallback writes: journal records older than them must not be read or delivered. */
  replaySuperseded(): Promise<void> {
    return this.superseded.replay(this.redis);
  }

  /** On a miss: the journal's latest record of the key, else the loader. */
  private async loadLatest(key: string): Promise<T | null | undefined> {
    let latest: JournalRecord | undefined;
    try {
      // A key written through the fallback: its journal records are older than the database.
      const usable = this.stack.l2Available && !this.superseded.has(key);
      latest = usable ? await this.redis.latest(key) : undefined;
    } catch {
      latest = undefined; // Redis failing: the database is the best we have.
    }
    if (latest?.kind === 'set') return decodeValue(latest.value) as T;
    if (latest?.kind === 'delete') return undefined;
    // Unflushed deltas: the database must have them before it is read.
    if (latest?.kind === 'increment') await this.flusher.flushKey(key, latest.version);
    return this.config.loader?.load(key);
  }

  /**
   * Journals one write (cache entry, version and stream record in one script), or falls back.
   * `request.floor` is the clock when the request was made (the caller makes it just before).
   */
  private async append(request: AppendRequest): Promise<number | undefined> {
    for (let waited = 0; ; waited++) {
      // Retried after a wait: versions go above what the clock saw meanwhile.
      if (waited > 0) request = { ...request, floor: this.clock.current };
      let result: AppendResult;
      if (!this.stack.l2Available) return this.writeThrough(request.key, journalWriteOf(request));
      try {
        result = await this.redis.append(request.key, request);
      } catch (error) {
        if (error instanceof StrataError) throw error;
        // Reported: a script error that persists (not an outage) would otherwise turn write-behind
        // into write-through without a trace.
        this.stack.events.emit('l2:error', {
          operation: 'journal',
          error: new CacheStoreError('journal', error),
        });
        // Sent but not answered: the delta may be journaled already; persisting it too could count it twice.
        if (request.op === 'i')
          throw new JournalUnavailableError(
            this.name,
            'the increment was sent but not confirmed (not retried)',
            error,
          );
        return this.writeThrough(request.key, journalWriteOf(request), error);
      }
      if (result === 'full') {
        // Closed while waiting: an explicit error, never a silent loss.
        if (this.options.onFull === 'reject' || (this.closed && waited > 0))
          throw new QueueFullError(this.name, this.options.maxQueueLength);
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.options.flushIntervalMs, 50)));
        continue;
      }
      this.clock.observe(result.version);
      const events = this.stack.events;
      if (events.has('write-behind:enqueued'))
        events.emit('write-behind:enqueued', {
          cache: this.name,
          key: request.key,
          kind: journalWriteOf(request).kind,
        });
      // L1 drops the key here; the append script announced it to the other instances' L1.
      engineOf(this.stack).l1?.delete([request.entryKey]);
      // Too few replicas confirmed: a failover could lose the write, so it is persisted now too
      // (not an increment: a delta persisted twice would count twice; see the docs).
      if (this.options.replicas !== undefined && result.replicated !== true && request.op !== 'i')
        await this.persistNow(request.key, journalWriteOf(request), result.version);
      return result.count;
    }
  }

  /** Redis unreachable: persist synchronously (version above this instance's journaled writes), or reject. */
  private async writeThrough(key: string, write: JournalWrite, cause?: unknown): Promise<undefined> {
    if (this.options.onRedisDown === 'reject')
      throw new JournalUnavailableError(this.name, "Redis is down and onRedisDown is 'reject'", cause);
    const version = this.clock.next();
    await this.persistNow(key, write, version);
    if (write.kind !== 'increment') this.superseded.remember(key, version);
    // The stack remembers the key and evicts it from Redis before Redis serves again.
    if (write.kind === 'set') {
      await engineOf(this.stack).setEncoded(
        this.cacheKey(key),
        decodeValue(write.value),
        write.value,
        this.writeOptions,
      );
    } else {
      await this.stack.delete(this.cacheKey(key), { namespace: this.name });
    }
    return undefined;
  }

  /** Hands one write straight to the writer (a lone increment is its own delta). */
  private async persistNow(key: string, write: JournalWrite, version: number): Promise<void> {
    const record = recordFor(write, version);
    if (record !== undefined) await deliverRecords(this.writer, this.name, [{ key, record }]);
  }
}
