import { SetMetadata } from '@nestjs/common';
import { CACHEABLE_METADATA } from './cache-metadata.constants.js';
import type { CacheableOptions } from './cache-decorator.options.js';

/**
 * Caches the method's result. Concurrent calls with one key run the method once; `0`, `''`,
 * `false` and `null` are cached (null with `nullTtl`), `undefined` is not. The method must return
 * a Promise or an Observable that completes (cached as its last value). Metadata only: the
 * `StrataModule` wraps the method at module init.
 *
 * @example
 * ```ts
 * @Cacheable({ key: (id: string) => `product:${id}`, ttl: '10m', tags: (id: string) => [`product:${id}`] })
 * findOne(id: string): Promise<Product | null> { … }
 * ```
 */
export const Cacheable = <A extends unknown[] = never[], R = unknown>(
  options: CacheableOptions<A, R> = {},
): MethodDecorator => SetMetadata(CACHEABLE_METADATA, options);
