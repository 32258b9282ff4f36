import { Inject } from '@nestjs/common';

/** Injection token of the module's `CacheStack` (from `@strata/core`). */
export const STRATA_CACHE_STACK = Symbol('STRATA_CACHE_STACK');

/**
 * Injects the module's `CacheStack`.
 *
 * @example constructor(@InjectCacheStack() private readonly stack: CacheStack) {}
 */
export const InjectCacheStack = (): ParameterDecorator => Inject(STRATA_CACHE_STACK);
