import type { Duration } from '../duration/duration.js';
import type { NamedCacheConfig } from '../strategies/named-cache.config.js';
import type { StrategyCache } from '../strategies/strategy-cache.interface.js';
import type { DeadLetter, RedriveOutcome } from './dead-letter.js';

/** Options of a write-behind named cache. */
export interface WriteBehindConfig<T> extends NamedCacheConfig<T> {
  /** How often pending writes are flushed. @default '1s' */
  readonly flushInterval?: Duration;
  /** Most records per writer call. @default 500 */
  readonly batchSize?: number;
  /** Attempts per record before it is dead-lettered. @default 8 */
  readonly maxAttempts?: number;
  /**
   * Most keys with unflushed writes (a key written again takes no more room). The Redis journal
   * gives each partition an equal share (rounded down), so with several partitions a write can
   * find its own partition full while others have room. @default 100_000
   */
  readonly maxQueueLength?: number;
  /** When full: wait for room, or reject with `QueueFullError`. @default 'wait' */
  readonly onFull?: 'wait' | 'reject';
  /** First retry delay (doubles per attempt, ±50 % jitter, at most 30 s). @default '200ms' */
  readonly retryBase?: Duration;
  /** How long shutdown waits for the queue to drain. @default '10s' */
  readonly drainTimeout?: Duration;
  /**
   * Where pending writes wait until flushed.
   * - `'redis'`: a Redis Stream per partition, read through a consumer group; survives a crash of
   *   the app (another instance claims what it left) and, with AOF, a Redis restart.
   * - `'memory'`: in this process; survives a clean shutdown (which drains it) and nothing else.
   * @default 'redis' when the stack has Redis, else 'memory'
   */
  readonly journal?: 'memory' | 'redis';
  /**
   * Redis journal: streams per cache. A key always goes to the same one. On a Redis Cluster each
   * partition is one hash slot, and the cache entries of the cache carry that slot's hash tag
   * (the entry and its journal record are written by one script), so entries spread over
   * `partitions` slots instead of all of them: raise it to spread the cache over more nodes. At
   * most `maxQueueLength`.
   * @default 1, or 16 on a cluster (at most `maxQueueLength`)
   */
  readonly partitions?: number;
  /** Redis journal: records another instance left unacknowledged this long are claimed. @default '30s' */
  readonly claimIdle?: Duration;
  /**
   * Redis journal: what a write does when Redis is unreachable. `'write-through'` persists it
   * synchronously through the writer (with a version above every journaled write of this
   * instance) and evicts the key from Redis once Redis is back; `'reject'` throws
   * `JournalUnavailableError` and writes nothing. Either way, an `increment` sent to Redis but
   * not answered (a timeout) throws `JournalUnavailableError`: it may be journaled already, and
   * persisting it as well could count it twice.
   * @default 'write-through'
   */
  readonly onRedisDown?: 'write-through' | 'reject';
  /**
   * Redis journal: after each append, wait until `count` replicas have it (`WAIT`, on a
   * connection of the journal's own), at most `timeout`; when fewer confirm, a set or delete is
   * also persisted synchronously, so a failover cannot lose it (an increment is not: a delta
   * persisted twice would count twice). Without it, a failover can lose the writes of the last
   * moments before it (replication is asynchronous). Single Redis or Sentinel only: on a cluster
   * client it is a boot error.
   */
  readonly replicas?: { readonly count: number; readonly timeout: Duration };
}

/** A write-behind named cache: a {@link StrategyCache} with counters, `flush()` and `close()`. */
export interface WriteBehindStrategyCache<T> extends StrategyCache<T> {
  /** Where pending writes wait. */
  readonly journal: 'memory' | 'redis';
  /**
   * Adds `delta` (a safe integer, may be negative) to a counter atomically, and journals the
   * delta: the writer's `incrementMany` gets the summed deltas. Resolves the new count when the
   * cache holds the counter or the loader can read it, `undefined` otherwise (a miss without a
   * loader never resets the database's count). Throws `E_NOT_A_COUNTER` when the key holds a
   * value that is not an integer.
   */
  increment(key: string, delta: number): Promise<number | undefined>;
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Stops the flusher and drains (at most `drainTimeout`). */
  close(): Promise<void>;
  /** Keys with unflushed writes (with a Redis journal: over all instances). */
  pending(): Promise<number>;
  /**
   * How long ago (ms) the oldest unflushed write was journaled; `undefined` when nothing is
   * unflushed. With a Redis journal: the oldest record in its streams, over all instances (by
   * the Redis server's clock). The lag health checks and `strata_write_behind_oldest_pending_age_seconds` watch.
   */
  oldestPendingAge(): Promise<number | undefined>;
  /**
   * Dead letters this instance made (memory journal: the unresolved ones; Redis journal: the most
   * recent 1 000, re-driven or purged since or not). For the unresolved ones of every instance,
   * use {@link WriteBehindStrategyCache.listDeadLetters}.
   */
  readonly deadLetters: readonly DeadLetter[];
  /**
   * Unresolved dead letters: writes set aside after `maxAttempts`, and unreadable journal
   * entries, neither re-driven nor purged. With a Redis journal: every instance's, read from
   * Redis (every instance answers the same); with a memory journal: this instance's.
   */
  deadLetterCount(): Promise<number>;
  /**
   * The oldest `limit` unresolved dead letters, oldest first (Redis journal: every instance's).
   * Each names its `id` for {@link WriteBehindStrategyCache.redriveDeadLetter} and
   * {@link WriteBehindStrategyCache.purgeDeadLetters}. At most 10 000 are kept per partition: past
   * that, the oldest are dropped.
   *
   * @example
   * ```ts
   * for (const letter of await carts.listDeadLetters()) console.log(letter.id, letter.key, letter.error);
   * ```
   */
  listDeadLetters(limit?: number): Promise<DeadLetter[]>;
  /**
   * Journals a dead letter's write again and removes the dead letter, atomically: of instances
   * re-driving the same one, exactly one does (the others get `UnknownDeadLetterError`). The
   * flusher then delivers it as any write (`flush()` to do it now): delivered, it is done (and the
   * key's cache entry is evicted, so reads follow the database); failing `maxAttempts` times again,
   * it becomes a new dead letter with the new error.
   *
   * A set or delete keeps its version, so a versioned writer ignores it when the database holds
   * something newer; resolves `'superseded'` (and only removes the dead letter) when a newer set or
   * delete of the key is still unflushed. An increment is journaled with a new version (a delta
   * is applied once per version), added to the key's pending increments if any.
   *
   * Throws `UnknownDeadLetterError` (no such unresolved dead letter) or
   * `DeadLetterNotRedrivableError` (an unreadable entry, which can only be purged; or a set or
   * delete whose key has increments being delivered: retry after the flush).
   */
  redriveDeadLetter(id: string): Promise<RedriveOutcome>;
  /**
   * Removes the dead letter `id` (throws `UnknownDeadLetterError` when there is none), or, without
   * an id, every unresolved one; resolves how many were removed. Its write is given up for good.
   */
  purgeDeadLetters(id?: string): Promise<number>;
}
