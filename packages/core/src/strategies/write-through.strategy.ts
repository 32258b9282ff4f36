import { StrataConfigError } from '../errors/strata-config.error.js';
import { type CacheStack, engineOf } from '../stack/cache-stack.js';
import { CacheAsideCache } from './cache-aside.strategy.js';
import type { CacheWriter } from './cache-writer.interface.js';
import { CacheTransactions } from './cache-transactions.js';
import { HybridClock } from './hybrid-clock.js';
import { PerKeyOrder } from './per-key-order.js';
import type { NamedCacheConfig } from './named-cache.config.js';
import type { StrategyCache } from './strategy-cache.interface.js';

/**
 * Write-through: `set` persists through the writer, then sets the cache; `delete` persists the
 * delete, then evicts. If the writer throws, the cache is untouched and the error reaches the
 * caller. If the cache cannot be set after a successful persist (Redis down), the stack
 * remembers the key and evicts it from Redis before Redis serves again, so no stale value
 * survives. Reads load on a miss, as in cache-aside. Writes to one key are applied in call order
 * within a process. Across instances, a set takes a token (Redis time on the entry's node) before
 * it persists, derives its version from it, and writes the cache only if no later write or delete
 * reached the entry, so the cache ends on the write the database keeps (up to clock skew between
 * an instance and Redis: see docs/strategies.md).
 */
export class WriteThroughStrategy {
  constructor(
    protected readonly stack: CacheStack,
    /** Versions of writes handed to writers. */
    readonly clock: HybridClock = new HybridClock(),
  ) {}

  /** Binds a named cache to this strategy; throws `StrataConfigError` without a writer. */
  bind<T>(config: NamedCacheConfig<T>): StrategyCache<T> {
    const writer = config.writer;
    if (writer === undefined) {
      throw new StrataConfigError(`caches[${config.name}].writer`, undefined, 'write-through needs a writer');
    }
    return new WriteThroughCache<T>(this.stack, config, writer, this.clock);
  }
}

/** A named cache on the write-through strategy (see {@link WriteThroughStrategy}). */
export class WriteThroughCache<T> extends CacheAsideCache<T> {
  private readonly order = new PerKeyOrder();

  constructor(
    stack: CacheStack,
    config: NamedCacheConfig<T>,
    private readonly writer: CacheWriter<T>,
    private readonly clock: HybridClock,
  ) {
    // Writes are synchronous with the writer here, so there is nothing to defer. Two writes to one
    // key run one after the other: else a slow persist of A and a fast one of B would leave B in
    // the database but A in the cache.
    super(stack, config, new CacheTransactions());
  }

  override set(key: string, value: T): Promise<void> {
    return this.order.run(key, async () => {
      // Fail before persisting what could not be cached (or is over maxValueBytes): else the
      // database would move on while the cache kept the previous value.
      engineOf(this.stack).encode(key, value, { namespace: this.name, target: `${this.name} cache` });
      // Across instances, the token orders the cache the way the version orders the database: of
      // two racing sets, the one with the later token has the higher version and the cache
      // keeps it (the other's cache write is skipped).
      const token = await this.stack.writeToken(key, { namespace: this.name });
      const version = this.clock.next(token === undefined ? 0 : HybridClock.versionAt(token));
      await this.writer.writeMany([{ key, version, value }]);
      await this.stack.set(key, value, {
        namespace: this.name,
        ttl: this.config.ttl,
        ifUnchangedSince: token,
      });
    });
  }

  override delete(key: string): Promise<void> {
    return this.order.run(key, async () => {
      await this.writer.deleteMany([{ key, version: this.clock.next() }]);
      await this.stack.delete(key, { namespace: this.name });
    });
  }
}
