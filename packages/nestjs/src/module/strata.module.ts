import { Module, type DynamicModule } from '@nestjs/common';
import {
  CacheAsideStrategy,
  CacheTransactions,
  WriteBehindStrategy,
  WriteThroughStrategy,
} from '@strata/core';
import { DiscoveryModule } from '@nestjs/core';
import { CacheMethodExplorer } from '../explorer/cache-method.explorer.js';
import { HttpCacheBindingCheck } from '../http/http-cache-binding.check.js';
import { CacheService } from '../service/cache.service.js';
import { cacheStackProvider } from './cache-stack.provider.js';
import { STRATA_CACHE_STACK } from './cache-stack.token.js';
import { StrataConfigurableModule } from './strata-module.definition.js';
import { StrataLifecycle } from './strata-lifecycle.service.js';
import { StrataFeatureModule } from '../strategies/strata-feature.module.js';
import type { StrataFeatureOptions } from '../strategies/strata-feature.options.js';
import { strategyProviders } from '../strategies/strategy.providers.js';

/**
 * Layered caching for a Nest app. `forRoot(options)` / `forRootAsync({ useFactory, inject })`
 * build one `CacheStack` per app (global by default), wrap `@Cacheable` / `@CachePut` /
 * `@CacheEvict` provider methods at module init, and provide {@link CacheService}.
 *
 * @example
 * ```ts
 * @Module({ imports: [StrataModule.forRoot({ prefix: 'shop', ttl: '5m', redis: process.env.REDIS_URL ? { url: process.env.REDIS_URL } : undefined })] })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    cacheStackProvider,
    CacheService,
    CacheMethodExplorer,
    StrataLifecycle,
    HttpCacheBindingCheck,
    ...strategyProviders,
  ],
  exports: [
    CacheService,
    STRATA_CACHE_STACK,
    CacheAsideStrategy,
    WriteThroughStrategy,
    WriteBehindStrategy,
    CacheTransactions,
  ],
})
export class StrataModule extends StrataConfigurableModule {
  /**
   * Declares named caches bound to strategies, injectable with `@InjectCache(name)`. Loaders and
   * writers are ordinary providers of the `imports` (or of the app). Needs `forRoot` (global).
   *
   * @example
   * ```ts
   * StrataModule.forFeature({
   *   imports: [CatalogDbModule],
   *   caches: [
   *     { name: 'products', strategy: 'cache-aside', loader: ProductLoader, ttl: '10m' },
   *     { name: 'prices', strategy: 'write-through', loader: PriceLoader, writer: PriceWriter },
   *   ],
   * })
   * ```
   */
  static forFeature(options: StrataFeatureOptions): DynamicModule {
    return StrataFeatureModule.register(options);
  }
}
