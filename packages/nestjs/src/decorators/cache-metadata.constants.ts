/** Metadata key of `@Cacheable` options on a method. */
export const CACHEABLE_METADATA = Symbol.for('strata:cacheable');
/** Metadata key of `@CachePut` options on a method. */
export const CACHE_PUT_METADATA = Symbol.for('strata:cache-put');
/** Metadata key of `@CacheEvict` options on a method. */
export const CACHE_EVICT_METADATA = Symbol.for('strata:cache-evict');
