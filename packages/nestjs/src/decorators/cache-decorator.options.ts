import type { Duration } from '@strata/core';
import type { StaleReadOptions } from '@strata/core/internal';

/** A value given directly, or computed from the decorated method's arguments. */
export type FromArgs<T, A extends unknown[] = never[]> = T | ((...args: A) => T);

/**
 * Options of `@Cacheable`. `grace`, `staleWhileRevalidate`, `softTimeout`, `hardTimeout` and
 * `earlyRefresh` (from {@link StaleReadOptions}; the module's values by default) work as in
 * `CacheStack.getOrLoad`: see docs/reads.md. With `earlyRefresh`, hits go through `getOrLoad`
 * (the XFetch draw needs the entry), so they cost a little more than the plain L1 fast path.
 */
export interface CacheableOptions<A extends unknown[] = never[], R = unknown> extends StaleReadOptions {
  /**
   * The cache key, or a function of the method's arguments returning it.
   * @default `ClassName.method:` + a hash of the arguments (object keys sorted)
   */
  readonly key?: FromArgs<string, A>;
  /** Time to live (ms or `'10m'`). @default the module's `ttl` */
  readonly ttl?: Duration;
  /** Time to live of a `null` result. @default the module's `nullTtl` */
  readonly nullTtl?: Duration;
  /** Tags of the entry, or a function of the arguments returning them. */
  readonly tags?: FromArgs<readonly string[], A>;
  /** Namespace of the entry. @default 'default' */
  readonly namespace?: string;
  /** Checked before the call: when it returns false, the method runs uncached. */
  readonly condition?: (...args: A) => boolean;
  /** Checked on the result: when it returns true, the result is not stored. */
  readonly unless?: (result: Awaited<R>, ...args: A) => boolean;
  /**
   * The entry is sensitive: stored encrypted in Redis with the module's `encryption` keys (boot
   * fails without them when Redis is configured), and an entry found in clear is a miss. See
   * docs/security.md.
   * @default false
   */
  readonly sensitive?: boolean;
}

/** Options of `@CachePut`. */
export interface CachePutOptions<A extends unknown[] = never[], R = unknown> {
  /**
   * A named cache of `StrataModule.forFeature`: the result is written through its strategy
   * (write-through persists it with the writer first). Its name is the namespace; `ttl` and
   * `namespace` then come from the named cache.
   */
  readonly cache?: string;
  /** The key the result is stored under, or a function of the arguments. */
  readonly key: FromArgs<string, A>;
  /** Time to live (ms or `'10m'`). @default the module's `ttl` */
  readonly ttl?: Duration;
  /** Tags of the entry, or a function of the arguments returning them. */
  readonly tags?: FromArgs<readonly string[], A>;
  /** Namespace of the entry. @default 'default' */
  readonly namespace?: string;
  /** Checked before the call: when false, the result is not stored. */
  readonly condition?: (...args: A) => boolean;
  /** Checked on the result: when true, the result is not stored. */
  readonly unless?: (result: Awaited<R>, ...args: A) => boolean;
  /**
   * The entry is sensitive: stored encrypted in Redis with the module's `encryption` keys (boot
   * fails without them when Redis is configured), and a named cache's own `sensitive` applies to it. See
   * docs/security.md.
   * @default false
   */
  readonly sensitive?: boolean;
}

/** Options of `@CacheEvict`. */
export interface CacheEvictOptions<A extends unknown[] = never[]> {
  /**
   * A named cache of `StrataModule.forFeature`: `keys` are deleted through its strategy
   * (write-through deletes them with the writer too), and `allEntries` drops its namespace.
   */
  readonly cache?: string;
  /** Keys to delete, or a function of the arguments returning them. */
  readonly keys?: FromArgs<string | readonly string[], A>;
  /** Tags to invalidate, or a function of the arguments returning them. */
  readonly tags?: FromArgs<readonly string[], A>;
  /** Namespace of `keys`, and the namespace `allEntries` drops. @default 'default' */
  readonly namespace?: string;
  /** Drop every entry of the namespace (one round trip). @default false */
  readonly allEntries?: boolean;
  /**
   * Evict before the method runs (and even if it throws). By default eviction runs after the
   * method succeeds, so a reader between the database write and the eviction cannot re-cache
   * old data, and a failed call evicts nothing.
   * @default false
   */
  readonly beforeInvocation?: boolean;
}
