import type { Duration } from '../duration/duration.js';
import type { StaleReadOptions } from '../options/stale-read.options.js';

/** Options of a read. */
export interface ReadOptions {
  /** Namespace of the key (letters, digits, `_`, `.`, `-`). @default 'default' */
  readonly namespace?: string;
}

/** Options of {@link CacheStack.get}. */
export interface GetOptions extends ReadOptions {
  /**
   * The tags the entry was stored with, if known: their invalidation times are then read in the
   * same round trip as the entry. Without them, a tagged entry costs one more round trip.
   */
  readonly tags?: readonly string[];
}

/** Options of a write. */
export interface WriteOptions extends ReadOptions {
  /** Time to live; the stack's `ttl` when absent. */
  readonly ttl?: Duration;
  /** Tags: `invalidateTags([tag])` drops every entry carrying one of them. */
  readonly tags?: readonly string[];
  /**
   * A token from {@link CacheStack.writeToken}: the write to Redis is skipped when the entry was
   * written or deleted at or after it (by any instance), so of two racing writers the one that
   * took the later token wins. If Redis fails, the key is evicted once Redis is back. Without it,
   * a `set` is unconditional.
   */
  readonly ifUnchangedSince?: number;
}

/**
 * Options of {@link CacheStack.getOrLoad}. The stale-read ones (`grace`, `staleWhileRevalidate`,
 * `softTimeout`, `hardTimeout`, `earlyRefresh`) override the stack's defaults for this call.
 */
export interface LoadOptions<T> extends WriteOptions, StaleReadOptions {
  /** Time to live of a `null` result; the stack's `nullTtl` when absent. */
  readonly nullTtl?: Duration;
  /** Decides on the loaded value whether to store it (`unless`, inverted). */
  readonly shouldCache?: (value: T) => boolean;
  /** Named in errors about the value (e.g. `ProductService.findOne`). */
  readonly target?: string;
}
