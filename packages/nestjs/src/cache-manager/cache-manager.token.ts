import { Inject } from '@nestjs/common';

/**
 * The injection token `@nestjs/cache-manager` uses for its cache: the same string, declared here so
 * that `@Inject(CACHE_MANAGER)` from either package resolves to Strata's provider without making
 * `@nestjs/cache-manager` a dependency.
 */
export const CACHE_MANAGER = 'CACHE_MANAGER';

/**
 * Injects the {@link StrataCacheManager} registered by `StrataCacheManagerModule`.
 *
 * @example constructor(@InjectCacheManager() private readonly cache: StrataCacheManager) {}
 */
export const InjectCacheManager = (): ParameterDecorator => Inject(CACHE_MANAGER);
