/**
 * Every namespace the shop caches under: `default` (`@Cacheable` and `CacheService` without a
 * namespace), `users` (who a token belongs to; encrypted with `CACHE_ENCRYPTION_KEY`), `http`
 * (the `HttpCacheModule` pages) and one per named cache declared with
 * `StrataModule.forFeature` (a named cache's name is its namespace). Admin invalidation accepts
 * only these, so a typo answers 400 instead of a 204 that dropped nothing.
 */
export const SHOP_CACHE_NAMESPACES = [
  'default',
  'users',
  'http',
  'prices',
  'stock',
  'carts',
  'views',
] as const;

/** One of {@link SHOP_CACHE_NAMESPACES}. */
export type ShopCacheNamespace = (typeof SHOP_CACHE_NAMESPACES)[number];
