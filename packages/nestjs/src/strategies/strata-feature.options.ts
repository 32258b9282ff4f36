import type { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import type { CacheLoader, CacheWriter } from '@strata/core';
import type { WriteBehindConfig } from '@strata/core/internal';

/** The strategies a named cache can use. */
export type CacheStrategyName = 'cache-aside' | 'write-through' | 'write-behind';

/**
 * One named cache of `StrataModule.forFeature`: the core options of a named cache (`name`, `ttl`,
 * `nullTtl`, and the write-behind ones, used by that strategy only), with the loader and writer
 * given as injectable classes.
 */
export interface NamedCacheOptions extends Omit<WriteBehindConfig<unknown>, 'loader' | 'writer'> {
  /** How writes reach the database. */
  readonly strategy: CacheStrategyName;
  /** An injectable provider that loads a key on a miss. */
  readonly loader?: Type<CacheLoader<unknown>>;
  /** An injectable provider that persists writes (required by `write-through` and `write-behind`). */
  readonly writer?: Type<CacheWriter<unknown>>;
}

/** Options of `StrataModule.forFeature`. */
export interface StrataFeatureOptions {
  /** Modules whose exported providers include the loaders and writers (and their dependencies). */
  readonly imports?: (Type | DynamicModule | Promise<DynamicModule> | ForwardReference)[];
  /** The named caches this feature declares. */
  readonly caches: readonly NamedCacheOptions[];
}
