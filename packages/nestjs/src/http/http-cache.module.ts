import { Module } from '@nestjs/common';
import { HttpCacheConfigurableModule } from './http-cache.module-definition.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';

/**
 * Provides {@link HttpCacheInterceptor} with shared options (a default policy, public cookies,
 * unkeyed headers). Needs `StrataModule.forRoot` for the cache stack. Optional: without
 * it, `@UseInterceptors(HttpCacheInterceptor)` works with the defaults.
 *
 * @example
 * ```ts
 * @Module({ imports: [StrataModule.forRoot({ ttl: '5m' }), HttpCacheModule.forRoot({ publicCookies: ['_ga'] })] })
 * export class AppModule {}
 * // main.ts
 * app.useGlobalInterceptors(app.get(HttpCacheInterceptor));
 * ```
 */
@Module({ providers: [HttpCacheInterceptor], exports: [HttpCacheInterceptor] })
export class HttpCacheModule extends HttpCacheConfigurableModule {}
