import { SetMetadata } from '@nestjs/common';
import { CACHE_PUT_METADATA } from './cache-metadata.constants.js';
import type { CachePutOptions } from './cache-decorator.options.js';

/**
 * Always runs the method and stores its result under `key` (an unconditional write: it wins over
 * loads in flight). A later `@Cacheable` with the same key returns the stored value.
 *
 * @example
 * ```ts
 * @CachePut({ key: (id: string) => `product:${id}` })
 * update(id: string, dto: UpdateProduct): Promise<Product> { … }
 * ```
 */
export const CachePut = <A extends unknown[] = never[], R = unknown>(
  options: CachePutOptions<A, R>,
): MethodDecorator => SetMetadata(CACHE_PUT_METADATA, options);
