import { Inject, Injectable } from '@nestjs/common';
import type { CacheStack, GetOptions, LoadOptions, ReadOptions, WriteOptions } from '@strata/core';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';

/**
 * The module's cache, by DI, for code that does not suit decorators.
 *
 * @example
 * ```ts
 * constructor(private readonly cache: CacheService) {}
 * const rates = await this.cache.wrap('fx:rates', () => this.fx.fetchRates(), { ttl: '1m' });
 * await this.cache.invalidateTags(['product-list']);
 * ```
 */
@Injectable()
export class CacheService {
  constructor(@Inject(STRATA_CACHE_STACK) private readonly cacheStack: CacheStack) {}

  /** The underlying `CacheStack` (events, options, layers). */
  get stack(): CacheStack {
    return this.cacheStack;
  }

  /** Reads a value; `undefined` on a miss (`null` is a cached value). */
  get<T>(key: string, options?: GetOptions): Promise<T | undefined> {
    return this.cacheStack.get<T>(key, options);
  }

  /** Stores a value unconditionally; `undefined` is not stored. */
  set<T>(key: string, value: T, options?: WriteOptions): Promise<void> {
    return this.cacheStack.set(key, value, options);
  }

  /** Deletes keys. */
  delete(keys: string | readonly string[], options?: ReadOptions): Promise<void> {
    return this.cacheStack.delete(keys, options);
  }

  /** Returns the cached value or loads, stores and returns it (single-flight per key). */
  wrap<T>(key: string, loader: () => T | Promise<T>, options?: LoadOptions<T>): Promise<T> {
    return this.cacheStack.getOrLoad(key, loader, options);
  }

  /** Drops every entry carrying any of the tags. */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.cacheStack.invalidateTags(tags);
  }

  /** Drops every entry of a namespace. */
  invalidateNamespace(namespace: string): Promise<void> {
    return this.cacheStack.invalidateNamespace(namespace);
  }
}
