/**
 * The subjects of scenario 11 (a cached HTTP route against a bare one), shared by the parent,
 * which drives the load, and the server child, which builds the app of one subject.
 */

/**
 * What serves `GET /product`: no cache, Strata's interceptor (memory, memory with
 * `shareReferences: true`, Redis only), or `@nestjs/cache-manager`'s (memory, `@keyv/redis`).
 */
export type HttpStackKind =
  'bare' | 'strata-memory' | 'strata-shared' | 'strata-redis' | 'cm-memory' | 'cm-redis';

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

/** The route every subject serves: the ~1 KB object of `value.ts`, as JSON. */
export const PRODUCT_PATH = '/product';
