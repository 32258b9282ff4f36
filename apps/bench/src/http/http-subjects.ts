/**
 * The subjects of scenario 11 (a cached HTTP route against a bare one), shared by the parent,
 * which drives the load, and the server child, which builds the app of one subject.
 */

/**
 * What serves `GET /product`: no cache, Strata's interceptor (memory, memory with
 * `shareReferences: true`, Redis only), or `@nestjs/cache-manager`'s (memory, `@keyv/redis`).
 * The reference, not a cache: `floor-interceptor`, a global interceptor answering every request
 * with the value's JSON, computed once, and the headers a Strata hit sends (the least an
 * interceptor that serves from a cache can do): the cost of a hit is measured against it.
 */
export type HttpStackKind =
  | 'bare'
  | 'strata-memory'
  | 'strata-shared'
  | 'strata-redis'
  | 'cm-memory'
  | 'cm-redis'
  | 'floor-interceptor'
  | 'strata-coded'
  | 'strata-identity-compressed';

/** Whether a subject answers from a cache (`X-Cache: HIT`, its handler run about once). */
export function answersFromCache(stack: HttpStackKind): boolean {
  return stack !== 'bare';
}

/** The Nest HTTP adapter of a subject. */
export type HttpAdapterKind = 'express' | 'fastify';

/** One app under load, in its own server process. */
export interface HttpSubject {
  readonly adapter: HttpAdapterKind;
  readonly stack: HttpStackKind;
  /** As shown in the results. */
  readonly name: string;
}

/** Whether a subject needs the bench's Redis. */
export function usesRedis(stack: HttpStackKind): boolean {
  return stack === 'strata-redis' || stack === 'cm-redis';
}

/** The route every subject of scenario 11 serves: the ~1 KB object of `value.ts`, as JSON. */
export const PRODUCT_PATH = '/product';

/**
 * The route of the compressed-page subjects (scenario 16), behind the adapter's compression
 * middleware: a 10 KB JSON page (`makeLargeValue(10_000)`), stored by Strata in `br` and `gzip`
 * (`strata-coded`), or stored as identity and compressed by the middleware on every hit
 * (`strata-identity-compressed`, `HttpCacheModule.forRoot({ compression: false })`).
 */
export const PAGE_PATH = '/page';

/** The size of the page at {@link PAGE_PATH}, as `makeLargeValue` takes it (bytes of JSON). */
export const PAGE_BYTES = 10_000;

/** Whether a subject serves {@link PAGE_PATH} behind the adapter's compression middleware. */
export function behindCompression(stack: HttpStackKind): boolean {
  return stack === 'strata-coded' || stack === 'strata-identity-compressed';
}
