import { encodeValue } from '../codec/value.codec.js';
import { parseDuration, type Duration } from '../duration/duration.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import type { CacheStack } from '../stack/cache-stack.js';
import { CacheAsideCache } from '../strategies/cache-aside.strategy.js';
import { CacheTransactions } from '../strategies/cache-transactions.js';
import { HybridClock } from '../strategies/hybrid-clock.js';
import { PerKeyOrder } from '../strategies/per-key-order.js';
import type { NamedCacheConfig } from '../strategies/named-cache.config.js';
import type { StrategyCache } from '../strategies/strategy-cache.interface.js';
import type { WriteBehindQueueOptions } from './write-behind.options.js';
import { WriteBehindQueue, type DeadLetter } from './write-behind.queue.js';

/** Options of a write-behind named cache. */
export interface WriteBehindConfig<T> extends NamedCacheConfig<T> {
  /** How often pending writes are flushed. @default '1s' */
  readonly flushInterval?: Duration;
  /** Most records per writer call. @default 500 */
  readonly batchSize?: number;
  /** Attempts per record before it is dead-lettered. @default 8 */
  readonly maxAttempts?: number;
  /** Most unflushed keys. @default 100_000 */
  readonly maxQueueLength?: number;
  /** When full: wait for room, or reject with `QueueFullError`. @default 'wait' */
  readonly onFull?: 'wait' | 'reject';
  /** First retry delay (doubles per attempt, ±50 % jitter, at most 30 s). @default '200ms' */
  readonly retryBase?: Duration;
  /** How long shutdown waits for the queue to drain. @default '10s' */
  readonly drainTimeout?: Duration;
  /**
   * Where pending writes wait. Only `'memory'` exists yet: it survives a clean shutdown (which
   * drains it) and nothing else. A Redis journal (a Stream) is planned; until then a stack with
   * Redis must choose `'memory'` explicitly.
   */
  readonly journal?: 'memory';
}

/** A write-behind named cache: a {@link StrategyCache} with `flush()` and `close()`. */
export interface WriteBehindStrategyCache<T> extends StrategyCache<T> {
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Stops the flusher and drains (at most `drainTimeout`). */
  close(): Promise<void>;
  /** Unflushed writes. */
  readonly pendingWrites: number;
  /** Writes set aside after `maxAttempts`. */
  readonly deadLetters: readonly DeadLetter[];
}

/**
 * Write-behind: `set` and `delete` update the cache and journal the write before returning; a
 * flusher hands batches to the writer, coalescing writes to one key (last wins, deletes
 * included), retrying failures with backoff, and setting aside what fails `maxAttempts` times.
 * Reads see a pending write even after its cache entry expired. Versions come from a hybrid
 * logical clock, so versioned upserts keep the newest value whatever the delivery order.
 */
export class WriteBehindStrategy {
  constructor(
    protected readonly stack: CacheStack,
    /** Versions of journaled writes. */
    readonly clock: HybridClock = new HybridClock(),
  ) {}

  /** Binds a named cache; throws `StrataConfigError` on a bad option or without a writer. */
  bind<T>(config: WriteBehindConfig<T>): WriteBehindStrategyCache<T> {
    const at = `caches[${config.name}]`;
    if (config.writer === undefined)
      throw new StrataConfigError(`${at}.writer`, undefined, 'write-behind needs a writer');
    if (this.stack.l2 !== undefined && config.journal !== 'memory') {
      throw new StrataConfigError(
        `${at}.journal`,
        config.journal,
        "the Redis journal is not available yet; set journal: 'memory' to accept that pending writes survive only a clean shutdown",
      );
    }
    const queue = new WriteBehindQueue<T>(
      config.writer,
      this.clock,
      this.stack.events,
      {
        cache: config.name,
        flushIntervalMs: duration(config.flushInterval, 1_000, `${at}.flushInterval`),
        batchSize: count(config.batchSize, 500, `${at}.batchSize`),
        maxAttempts: count(config.maxAttempts, 8, `${at}.maxAttempts`),
        maxQueueLength: count(config.maxQueueLength, 100_000, `${at}.maxQueueLength`),
        onFull: config.onFull ?? 'wait',
        retryBaseMs: duration(config.retryBase, 200, `${at}.retryBase`),
        drainTimeoutMs: duration(config.drainTimeout, 10_000, `${at}.drainTimeout`),
      } satisfies WriteBehindQueueOptions,
      (key) => this.stack.delete(key, { namespace: config.name }),
    );
    return new WriteBehindCache<T>(this.stack, config, queue);
  }
}

/** A named cache on the write-behind strategy (see {@link WriteBehindStrategy}). */
export class WriteBehindCache<T> extends CacheAsideCache<T> implements WriteBehindStrategyCache<T> {
  private readonly order = new PerKeyOrder();

  constructor(
    stack: CacheStack,
    config: NamedCacheConfig<T>,
    private readonly queue: WriteBehindQueue<T>,
  ) {
    super(stack, config, new CacheTransactions());
  }

  get pendingWrites(): number {
    return this.queue.length;
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.queue.deadLettered;
  }

  override async get(key: string): Promise<T | undefined> {
    const pending = this.queue.latest(key);
    if (pending === undefined) return super.get(key);
    return 'deleted' in pending ? undefined : pending.value;
  }

  /** Journals the write (waiting or rejecting when full), then sets the cache. */
  override async set(key: string, value: T): Promise<void> {
    // Encoded once, and now: the caller may change `value` as soon as `set` returns, before the
    // key's earlier writes are done. The journal's snapshot is also what the cache stores.
    const encoded = encodeValue(value, `${this.name} cache`);
    // In call order per key, so the cache ends with the value the journal ends with.
    return this.order.run(key, async () => {
      await this.queue.enqueue(key, encoded);
      await this.stack.setEncoded(key, value, encoded, { namespace: this.name, ttl: this.config.ttl });
    });
  }

  /** Journals the delete, then evicts. */
  override delete(key: string): Promise<void> {
    return this.order.run(key, async () => {
      await this.queue.enqueue(key, undefined);
      await this.stack.delete(key, { namespace: this.name });
    });
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

function duration(value: Duration | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new StrataConfigError(option, value, 'expected a positive duration such as "500ms"');
  return ms;
}

function count(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new StrataConfigError(option, value, 'expected a positive integer');
  return value;
}
