import type { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import type { CacheLoader, CacheWriter, Duration } from '@strata/core';

/** The strategies a named cache can use. */
export type CacheStrategyName = 'cache-aside' | 'write-through' | 'write-behind';

/** One named cache of `StrataModule.forFeature`. */
export interface NamedCacheOptions {
  /** The cache's name, for `@InjectCache(name)`; also its namespace. */
  readonly name: string;
  /** How writes reach the database. */
  readonly strategy: CacheStrategyName;
  /** An injectable provider that loads a key on a miss. */
  readonly loader?: Type<CacheLoader<unknown>>;
  /** An injectable provider that persists writes (required by `write-through`). */
  readonly writer?: Type<CacheWriter<unknown>>;
  /** Time to live of entries. @default the module's `ttl` */
  readonly ttl?: Duration;
  /** Time to live of cached `null`s. @default the module's `nullTtl` */
  readonly nullTtl?: Duration;
  /** Write-behind: how often pending writes are flushed. @default '1s' */
  readonly flushInterval?: Duration;
  /** Write-behind: most records per writer call. @default 500 */
  readonly batchSize?: number;
  /** Write-behind: attempts per record before it is dead-lettered. @default 8 */
  readonly maxAttempts?: number;
  /** Write-behind: most unflushed keys. @default 100_000 */
  readonly maxQueueLength?: number;
  /** Write-behind: when full, wait for room or reject with `QueueFullError`. @default 'wait' */
  readonly onFull?: 'wait' | 'reject';
  /** Write-behind: first retry delay. @default '200ms' */
  readonly retryBase?: Duration;
  /** Write-behind: how long shutdown waits for the queue to drain. @default '10s' */
  readonly drainTimeout?: Duration;
  /**
   * Write-behind: where pending writes wait. Only `'memory'` exists yet (survives a clean
   * shutdown only); with Redis configured it must be chosen explicitly.
   */
  readonly journal?: 'memory';
}

/** Options of `StrataModule.forFeature`. */
export interface StrataFeatureOptions {
  /** Modules whose exported providers include the loaders and writers (and their dependencies). */
  readonly imports?: (Type | DynamicModule | Promise<DynamicModule> | ForwardReference)[];
  /** The named caches this feature declares. */
  readonly caches: readonly NamedCacheOptions[];
}
