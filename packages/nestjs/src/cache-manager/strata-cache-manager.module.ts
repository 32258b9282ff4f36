import { Module, type DynamicModule } from '@nestjs/common';
import { CACHE_MANAGER } from './cache-manager.token.js';
import { CACHE_MANAGER_OPTIONS, StrataCacheManager } from './strata-cache-manager.js';
import {
  resolveCacheManagerOptions,
  type StrataCacheManagerOptions,
} from './strata-cache-manager.options.js';

/**
 * Provides `CACHE_MANAGER` (cache-manager 7's `Cache`) backed by the app's `StrataModule`, so a
 * service written against `@nestjs/cache-manager` runs unchanged: swap `CacheModule.register()`
 * for `StrataModule.forRoot(...)` plus this module. Needs `StrataModule.forRoot` (global).
 *
 * @example
 * ```ts
 * @Module({ imports: [StrataModule.forRoot({ prefix: 'shop' }), StrataCacheManagerModule.forRoot({ isGlobal: true })] })
 * export class AppModule {}
 * ```
 */
@Module({})
export class StrataCacheManagerModule {
  /** Registers the provider; options are validated here, at boot. */
  static forRoot(options: StrataCacheManagerOptions = {}): DynamicModule {
    return {
      module: StrataCacheManagerModule,
      global: options.isGlobal ?? false,
      providers: [
        { provide: CACHE_MANAGER_OPTIONS, useValue: resolveCacheManagerOptions(options) },
        StrataCacheManager,
        { provide: CACHE_MANAGER, useExisting: StrataCacheManager },
      ],
      exports: [CACHE_MANAGER, StrataCacheManager],
    };
  }
}
