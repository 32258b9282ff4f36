import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CacheMethodExplorer } from '../explorer/cache-method.explorer.js';
import { CacheService } from '../service/cache.service.js';
import { cacheStackProvider } from './cache-stack.provider.js';
import { STRATA_CACHE_STACK } from './cache-stack.token.js';
import { StrataConfigurableModule } from './strata-module.definition.js';
import { StrataLifecycle } from './strata-lifecycle.service.js';

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
  providers: [cacheStackProvider, CacheService, CacheMethodExplorer, StrataLifecycle],
  exports: [CacheService, STRATA_CACHE_STACK],
})
export class StrataModule extends StrataConfigurableModule {}
