/**
 * What `CACHE_MANAGER` stores under a key: the value and the expiry time the caller asked for.
 * cache-manager reports that time (`ttl(key)`, `wrap`'s `refreshThreshold` and raw mode) and
 * Strata's entries do not expose it, so it travels with the value, in L1 and in Redis alike, and
 * every instance reads the same one. Wrapping also lets `null` keep the caller's TTL rather than
 * the stack's shorter `nullTtl`.
 */
export interface CacheManagerEntry<T> {
  readonly strataCacheManager: 1;
  readonly value: T;
  /** Epoch milliseconds; `null` when no TTL was given (the stack's default applies). */
  readonly expires: number | null;
  /**
   * When it was written ({@link preciseNow}): a `wrap` that waited for another caller's load, in
   * this process or under another instance's lease, sees a value written during its call and does
   * not refresh it.
   */
  readonly written: number;
}

/**
 * Wall-clock time with sub-millisecond resolution: a `wrap` that hits an entry written by an
 * earlier call in the same millisecond must still see it as older than itself.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Wraps a value with its expiry, `ttlMs` from now. */
export function cacheManagerEntry<T>(
  value: T,
  ttlMs: number | undefined,
  now = Date.now(),
): CacheManagerEntry<T> {
  return {
    strataCacheManager: 1,
    value,
    expires: ttlMs === undefined ? null : now + ttlMs,
    written: preciseNow(),
  };
}

/** Whether a stored value is a {@link CacheManagerEntry} (anything else is not ours: a miss). */
export function isCacheManagerEntry(stored: unknown): stored is CacheManagerEntry<unknown> {
  return (
    typeof stored === 'object' &&
    stored !== null &&
    (stored as { strataCacheManager?: unknown }).strataCacheManager === 1 &&
    'value' in stored
  );
}

/**
 * The entry while it is live. Strata spreads TTLs by its `jitter`, so an entry can outlive the
 * time the caller asked for: past that time it is a miss, as in cache-manager.
 */
export function liveEntry<T>(stored: unknown, now = Date.now()): CacheManagerEntry<T> | undefined {
  if (!isCacheManagerEntry(stored)) return undefined;
  if (stored.expires !== null && stored.expires <= now) return undefined;
  return stored as CacheManagerEntry<T>;
}
