import { encodeValue } from '../codec/value.codec.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import type { CacheStack } from '../stack/cache-stack.js';
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
 * within a process; across instances, the writer's version check orders the database (the cache
 * itself is last-write-wins until entries carry versions).
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
      // Fail before persisting what could not be cached: else the database would move on while
      // the cache kept the previous value.
      encodeValue(value, `${this.name} cache`);
      await this.writer.writeMany([{ key, version: this.clock.next(), value }]);
      await this.stack.set(key, value, { namespace: this.name, ttl: this.config.ttl });
    });
  }

  override delete(key: string): Promise<void> {
    return this.order.run(key, async () => {
      await this.writer.deleteMany([{ key, version: this.clock.next() }]);
      await this.stack.delete(key, { namespace: this.name });
    });
  }
}
