import type { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import type { CacheLoader, CacheWriter, Duration } from '@strata/core';

/** The strategies a named cache can use. */
export type CacheStrategyName = 'cache-aside' | 'write-through' | 'write-behind';

/** One named cache of `StrataModule.forFeature`. */
export interface NamedCacheOptions {
  /** The cache's name, for `@InjectCache(name)`; also its namespace. */
  readonly name: string;
  /** How writes reach the database. `write-behind` is not available yet (boot error). */
  readonly strategy: CacheStrategyName;
  /** An injectable provider that loads a key on a miss. */
  readonly loader?: Type<CacheLoader<unknown>>;
  /** An injectable provider that persists writes (required by `write-through`). */
  readonly writer?: Type<CacheWriter<unknown>>;
  /** Time to live of entries. @default the module's `ttl` */
  readonly ttl?: Duration;
  /** Time to live of cached `null`s. @default the module's `nullTtl` */
  readonly nullTtl?: Duration;
}

/** Options of `StrataModule.forFeature`. */
export interface StrataFeatureOptions {
  /** Modules whose exported providers include the loaders and writers (and their dependencies). */
  readonly imports?: (Type | DynamicModule | Promise<DynamicModule> | ForwardReference)[];
  /** The named caches this feature declares. */
  readonly caches: readonly NamedCacheOptions[];
}
