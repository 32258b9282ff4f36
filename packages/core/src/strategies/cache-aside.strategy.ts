import { type CacheStack, engineOf } from '../stack/cache-stack.js';
import { CacheTransactions } from './cache-transactions.js';
import type { NamedCacheConfig } from './named-cache.config.js';
import type { StrategyCache } from './strategy-cache.interface.js';

/**
 * Cache-aside: reads go through the cache and load on a miss (single-flight, no stale sets);
 * the app writes the database itself, then calls `set` or `delete`. Inside
 * {@link CacheTransactions.run} those wait for the commit and are dropped on rollback.
 */
export class CacheAsideStrategy {
  constructor(
    protected readonly stack: CacheStack,
    /** Where `set`/`delete` are deferred while a transaction is open. */
    readonly transactions: CacheTransactions = new CacheTransactions(),
  ) {}

  /** Binds a named cache to this strategy. */
  bind<T>(config: NamedCacheConfig<T>): StrategyCache<T> {
    return new CacheAsideCache<T>(this.stack, config, this.transactions);
  }
}

/** A named cache on the cache-aside strategy (see {@link CacheAsideStrategy}). */
export class CacheAsideCache<T> implements StrategyCache<T> {
  readonly name: string;

  constructor(
    protected readonly stack: CacheStack,
    protected readonly config: NamedCacheConfig<T>,
    protected readonly transactions: CacheTransactions,
  ) {
    this.name = config.name;
    if (config.sensitive === true)
      engineOf(stack).tiers.markSensitive(config.name, `caches[${config.name}].sensitive`);
  }

  async get(key: string): Promise<T | undefined> {
    const loader = this.config.loader;
    const namespace = this.config.name;
    if (loader === undefined) return this.stack.get<T>(key, { namespace });
    const value = await this.stack.getOrLoad<T | null | undefined>(key, () => loader.load(key), {
      namespace,
      ttl: this.config.ttl,
      nullTtl: this.config.nullTtl,
      target: `${this.config.name} loader`,
    });
    return value ?? undefined;
  }

  /** Stores the value the app has just written to the database (after the commit, in a transaction). */
  set(key: string, value: T): Promise<void> {
    return this.transactions.defer(() =>
      this.stack.set(key, value, { namespace: this.name, ttl: this.config.ttl }),
    );
  }

  /** Evicts the key (after the commit, in a transaction). */
  delete(key: string): Promise<void> {
    return this.transactions.defer(() => this.stack.delete(key, { namespace: this.name }));
  }
}
