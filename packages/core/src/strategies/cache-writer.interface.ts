/** One write handed to a {@link CacheWriter}. */
export interface WriteRecord<T> {
  /** The cache key (without prefix or namespace), e.g. the row id. */
  readonly key: string;
  /**
   * The write's version: a hybrid-logical-clock value, increasing per key. Upsert only when the
   * stored version is older, so a retried or reordered delivery never puts an older value over a
   * newer one.
   */
  readonly version: number;
  /** The value to persist. */
  readonly value: T;
}

/** One delete handed to a {@link CacheWriter}. */
export interface DeleteRecord {
  /** The cache key (without prefix or namespace). */
  readonly key: string;
  /**
   * The delete's version. Keep it as a tombstone version for the row, so an older upsert delivered
   * again cannot resurrect it.
   */
  readonly version: number;
}

/** One summed counter delta handed to a {@link CacheWriter} (write-behind `increment`). */
export interface IncrementRecord {
  /** The cache key (without prefix or namespace). */
  readonly key: string;
  /**
   * The version of the last increment included in `delta`. Apply the delta only when the stored
   * version is older, and store this one with it: a redelivered record then never counts twice.
   */
  readonly version: number;
  /** The sum of the increments not yet persisted (may be negative). */
  readonly delta: number;
}

/**
 * Persists writes for write-through and write-behind caches. Writers must be
 * idempotent and versioned: upsert a record only when its `version` is newer than the stored
 * one, and keep the version of deleted rows. Strata may deliver a record more than once.
 *
 * @example
 * ```ts
 * // INSERT … ON CONFLICT (id) DO UPDATE SET price = excluded.price, version = excluded.version
 * //   WHERE prices.version < excluded.version
 * ```
 */
export interface CacheWriter<T> {
  /** Persists writes. Throwing leaves the cache untouched and reaches the caller (write-through). */
  writeMany(records: readonly WriteRecord<T>[]): Promise<void>;
  /** Persists deletes. */
  deleteMany(records: readonly DeleteRecord[]): Promise<void>;
  /**
   * Applies counter deltas (write-behind `increment`); required only by caches that increment.
   * Add `delta` to the stored count, creating the row at `delta` when absent, only where the
   * stored version is older than `version`, and store `version`.
   *
   * @example
   * ```ts
   * // INSERT INTO views (id, count, version) VALUES ($1, $2, $3)
   * // ON CONFLICT (id) DO UPDATE SET count = views.count + excluded.count, version = excluded.version
   * //   WHERE views.version < excluded.version
   * ```
   */
  incrementMany?(records: readonly IncrementRecord[]): Promise<void>;
}
