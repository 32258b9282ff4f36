import type { Duration } from '../duration/duration.js';
import type { StaleReadOptions } from './stale-read.options.js';

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
  /**
   * Hand out the stored object itself, frozen, instead of a fresh copy, and keep it so in L1
   * when the read fills L1 from Redis: for values callers only read, such as stored HTTP pages,
   * where decoding on every hit is the main cost. A caller that tries to change it gets a
   * `TypeError` (strict mode). The stack's `shareReferences` does this for every entry.
   * @default false
   */
  readonly share?: boolean;
  /**
   * The entry is sensitive (see `encryption`): an entry found in Redis that is not encrypted (stored
   * before the key was made sensitive, or by someone else) reads as a miss. Entries of a namespace
   * listed in `encryption.namespaces` always are.
   * @default false
   */
  readonly sensitive?: boolean;
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
  /**
   * A ticket from {@link CacheStack.writeTicket}, taken before the value was computed: the write
   * is skipped when the entry was written or deleted after it, and the entry is stored as of the
   * ticket's time, so an invalidation of one of its tags or dependencies made meanwhile (by any
   * instance) drops it at once. Replaces `ifUnchangedSince`.
   */
  readonly ticket?: WriteTicket;
  /**
   * Full dependency keys from {@link CacheStack.trackDependencies}: the entry is dropped when one
   * of those keys is set or deleted, or one of those tags or namespaces invalidated.
   */
  readonly dependsOn?: readonly string[];
  /**
   * Keep the value frozen in L1 and hand it out as it is on L1 hits, to every reader (see
   * {@link GetOptions.share}). The value is frozen in place (`Object.freeze`, deeply).
   * @default false
   */
  readonly share?: boolean;
  /**
   * Store the value encrypted in Redis (and in write-behind journals), with the stack's
   * `encryption` keys, which must be configured (else the call throws `StrataConfigError`).
   * Entries of a namespace listed in `encryption.namespaces` always are. L1 keeps it in clear, in
   * process memory only.
   * @default false
   */
  readonly sensitive?: boolean;
  /**
   * `false`: never compress this value in Redis (for bytes that would not shrink, such as
   * already-compressed data), whatever its size. See `compression`.
   * @default true
   */
  readonly compress?: boolean;
}

/**
 * The write tokens of both layers for a value computed outside `getOrLoad` (no stale sets): L1's
 * logical clock and Redis time on the entry's node, each `undefined` when that layer is absent or
 * (Redis) did not answer.
 */
export interface WriteTicket {
  readonly l1: number | undefined;
  readonly l2: number | undefined;
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
