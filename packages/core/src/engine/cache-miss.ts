/** What `CacheStack.peek` (and an engine read by full key) returns when there is no fresh entry. */
export const CACHE_MISS: unique symbol = Symbol('strata:cache-miss');
