import type { Duration } from '../duration/duration.js';
import type { CacheLoader } from './cache-loader.interface.js';
import type { CacheWriter } from './cache-writer.interface.js';

/** A named cache bound to a strategy: its name (also its namespace), loader, writer and TTLs. */
export interface NamedCacheConfig<T> {
  /** The cache's name; also its namespace (letters, digits, `_`, `.`, `-`). */
  readonly name: string;
  /** Loads a key on a miss; without one, a miss stays a miss. */
  readonly loader?: CacheLoader<T>;
  /** Persists writes (required by write-through). */
  readonly writer?: CacheWriter<T>;
  /** Time to live of entries; the stack's `ttl` when absent. */
  readonly ttl?: Duration;
  /** Time to live of cached `null`s; the stack's `nullTtl` when absent. */
  readonly nullTtl?: Duration;
  /**
   * Every entry of the cache is sensitive: encrypted in Redis and in its write-behind journal with
   * the stack's `encryption` keys (binding fails without them when the stack has Redis). A
   * write-behind cache on the Redis journal cannot also count (`increment` adds inside Redis, which
   * cannot read ciphertext): its writer must not have `incrementMany`.
   * @default false
   */
  readonly sensitive?: boolean;
}
