/**
 * Loads values for a named cache on a miss (the database side of cache-aside and the read path
 * of every strategy). Returning `null` caches "not found" (with `nullTtl`); `undefined` caches
 * nothing.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class ProductLoader implements CacheLoader<Product> {
 *   constructor(private readonly products: ProductRepository) {}
 *   load(id: string) { return this.products.findById(id); }
 * }
 * ```
 */
export interface CacheLoader<T> {
  /** Loads one key. */
  load(key: string): Promise<T | null | undefined>;
}
