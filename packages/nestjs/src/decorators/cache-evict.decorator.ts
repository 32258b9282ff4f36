import { SetMetadata } from '@nestjs/common';
import { CACHE_EVICT_METADATA } from './cache-metadata.constants.js';
import type { CacheEvictOptions } from './cache-decorator.options.js';

/**
 * Deletes keys, invalidates tags, or drops a namespace after the method succeeds (not when it
 * throws), or before it runs with `beforeInvocation`. Loads in flight for the evicted entries
 * do not store their results afterwards.
 *
 * @example
 * ```ts
 * @CacheEvict({ keys: (id: string) => [`product:${id}`], tags: ['product-list'] })
 * remove(id: string): Promise<void> { … }
 * ```
 */
export const CacheEvict = <A extends unknown[] = never[]>(options: CacheEvictOptions<A>): MethodDecorator =>
  SetMetadata(CACHE_EVICT_METADATA, options);
