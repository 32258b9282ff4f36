import type { Duration } from '../duration/duration.js';
import { toPositiveMs } from '../duration/positive-ms.js';
import { TIMER_BOUNDS } from '../ttl/ttl-limits.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { type CacheStack, engineOf } from '../stack/cache-stack.js';
import { HybridClock } from '../strategies/hybrid-clock.js';
import { WriteBehindCache } from './memory-write-behind.cache.js';
import { RedisJournalFlusher } from './redis-journal.flusher.js';
import { journalValuesOf } from './journal-values.js';
import { RedisJournal } from './redis-journal.js';
import { RedisWriteBehindCache } from './redis-write-behind.cache.js';
import type { WriteBehindConfig, WriteBehindStrategyCache } from './write-behind.config.js';
import type { WriteBehindQueueOptions } from './write-behind.options.js';
import { WriteBehindQueue } from './write-behind.queue.js';

/** Approximate cap of each partition's dead-letter stream. */
const DEAD_LETTER_CAP = 10_000;

/**
 * Write-behind: `set`, `delete` and `increment` update the cache and journal the write before
 * returning; a flusher hands batches to the writer, coalescing writes to one key (last wins,
 * deletes included, deltas summed), retrying failures with backoff, and setting aside what fails
 * `maxAttempts` times. Reads see a pending write even after its cache entry expired. Every write
 * carries a per-key version, so versioned upserts keep the newest value whatever the delivery
 * order. With Redis the journal is a Redis Stream (durable, shared by instances); without, it is
 * in memory.
 */
export class WriteBehindStrategy {
  private readonly bound = new Map<string, WriteBehindStrategyCache<unknown>>();

  constructor(
    protected readonly stack: CacheStack,
    /** Versions of this instance's writes (also the floor of the Redis journal's versions). */
    readonly clock: HybridClock = new HybridClock(),
  ) {}

  /**
   * The caches bound so far, by name: what metrics and health checks read their queue depth,
   * lag and dead letters from.
   */
  get caches(): ReadonlyMap<string, WriteBehindStrategyCache<unknown>> {
    return this.bound;
  }

  /**
   * Binds a named cache and starts its flusher; throws `StrataConfigError` on a bad option or
   * without a writer. Close the returned cache (`close()`) to stop the flusher and drain it.
   */
  async bind<T>(config: WriteBehindConfig<T>): Promise<WriteBehindStrategyCache<T>> {
    const at = `caches[${config.name}]`;
    const writer = config.writer;
    if (writer === undefined)
      throw new StrataConfigError(`${at}.writer`, undefined, 'write-behind needs a writer');
    const journal = config.journal ?? (engineOf(this.stack).l2 === undefined ? 'memory' : 'redis');
    if (journal !== 'memory' && journal !== 'redis')
      throw new StrataConfigError(`${at}.journal`, journal, "expected 'memory' or 'redis'");
    const common = {
      cache: config.name,
      flushIntervalMs: duration(config.flushInterval, 1_000, `${at}.flushInterval`),
      batchSize: count(config.batchSize, 500, `${at}.batchSize`),
      maxAttempts: count(config.maxAttempts, 8, `${at}.maxAttempts`),
      maxQueueLength: count(config.maxQueueLength, 100_000, `${at}.maxQueueLength`),
      onFull: oneOf(config.onFull, ['wait', 'reject'] as const, 'wait', `${at}.onFull`),
      retryBaseMs: duration(config.retryBase, 200, `${at}.retryBase`),
      drainTimeoutMs: duration(config.drainTimeout, 10_000, `${at}.drainTimeout`),
    };
    const evict = (key: string): Promise<void> => this.stack.delete(key, { namespace: config.name });
    if (journal === 'memory') {
      const queue = new WriteBehindQueue<T>(
        writer,
        this.clock,
        this.stack.events,
        common satisfies WriteBehindQueueOptions,
        evict,
      );
      return this.track(new WriteBehindCache<T>(this.stack, config, queue));
    }
    const client = engineOf(this.stack).redisClient;
    if (client === undefined)
      throw new StrataConfigError(
        `${at}.journal`,
        journal,
        'the Redis journal needs a stack with redis configured',
      );
    const replicaWait = replicas(config.replicas, `${at}.replicas`);
    if (replicaWait !== undefined && client.isCluster)
      throw new StrataConfigError(
        `${at}.replicas`,
        config.replicas,
        'WAIT is not available through a Redis Cluster client (it would reach one node only)',
      );
    // Each partition holds an equal share of maxQueueLength, at least one key.
    const max = common.maxQueueLength;
    const partitions = count(config.partitions, client.isCluster ? Math.min(16, max) : 1, `${at}.partitions`);
    if (partitions > max)
      throw new StrataConfigError(
        `${at}.partitions`,
        partitions,
        `expected at most maxQueueLength (${max}): each partition holds an equal share of it`,
      );
    if (config.sensitive === true) engineOf(this.stack).tiers.markSensitive(config.name, `${at}.sensitive`);
    const ref: { cache?: RedisWriteBehindCache<T> } = {};
    const redis = new RedisJournal(client, {
      prefix: engineOf(this.stack).keys.prefix,
      cache: config.name,
      partitions,
      maxQueueLength: max,
      tombstoneTtlMs: engineOf(this.stack).options.tombstoneTtlMs,
      deadLetterCap: DEAD_LETTER_CAP,
      replicas: replicaWait,
      bus: engineOf(this.stack).bus?.address,
      values: journalValuesOf(this.stack, config.name, (key) => ref.cache?.cacheKey(key) ?? key),
    });
    // `increment` adds to the stored value inside Redis, which cannot read ciphertext.
    if (redis.values.encrypts && writer.incrementMany !== undefined)
      throw new StrataConfigError(
        `${at}.sensitive`,
        true,
        'a sensitive write-behind cache on the Redis journal cannot count: its writer must not have incrementMany',
      );
    const flusher = new RedisJournalFlusher<T>(
      redis,
      writer,
      this.stack.events,
      { ...common, claimIdleMs: duration(config.claimIdle, 30_000, `${at}.claimIdle`) },
      (key) => evict(ref.cache?.cacheKey(key) ?? key),
      async () => ref.cache?.replaySuperseded(),
    );
    const cache = new RedisWriteBehindCache<T>(this.stack, config, redis, flusher, writer, this.clock, {
      onRedisDown: oneOf(
        config.onRedisDown,
        ['write-through', 'reject'] as const,
        'write-through',
        `${at}.onRedisDown`,
      ),
      onFull: common.onFull,
      maxQueueLength: common.maxQueueLength,
      flushIntervalMs: common.flushIntervalMs,
      replicas: replicaWait,
    });
    ref.cache = cache;
    // Redis down at boot: the groups are created by the first pass that reaches Redis.
    await redis.ensureGroups().catch(() => undefined);
    await redis.connect().catch(() => undefined); // appends fall back until it connects
    flusher.start();
    return this.track(cache);
  }

  private track<C extends WriteBehindStrategyCache<T>, T>(cache: C): C {
    this.bound.set(cache.name, cache);
    return cache;
  }
}

/** A timer's duration option in ms (each is waited for with `setTimeout`). */
function duration(value: Duration | undefined, fallback: number, option: string): number {
  return value === undefined ? fallback : toPositiveMs(value, option, TIMER_BOUNDS);
}

function count(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new StrataConfigError(option, value, 'expected a positive integer');
  return value;
}

function oneOf<const V extends string>(
  value: V | undefined,
  allowed: readonly V[],
  fallback: V,
  option: string,
): V {
  if (value === undefined) return fallback;
  if (!allowed.includes(value))
    throw new StrataConfigError(option, value, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value;
}

function replicas(
  value: WriteBehindConfig<unknown>['replicas'],
  option: string,
): { count: number; timeoutMs: number } | undefined {
  if (value === undefined) return undefined;
  return {
    count: count(value.count, 1, `${option}.count`),
    timeoutMs: duration(value.timeout, 100, `${option}.timeout`),
  };
}
