import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  HTTP_CACHE_INTERCEPTOR_BINDING,
  HttpCacheConfigurableModule,
  type HttpCacheForRootOptions,
} from './http-cache.module-definition.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';

type ForRootAsyncOptions = Parameters<typeof HttpCacheConfigurableModule.forRootAsync>[0];

/**
 * Caches the responses of routes marked `@HttpCache`: provides {@link HttpCacheInterceptor} with
 * shared options (a default policy, public cookies, unkeyed headers) and binds it to every route
 * of the app. Needs `StrataModule.forRoot` for the cache stack. `interceptor: 'manual'` leaves the
 * binding to you (`@UseInterceptors(HttpCacheInterceptor)` per controller); either way a route
 * marked `@HttpCache` that no interceptor serves fails at boot.
 *
 * @example
 * ```ts
 * @Module({ imports: [StrataModule.forRoot({ ttl: '5m' }), HttpCacheModule.forRoot()] })
 * export class AppModule {}
 * ```
 */
@Module({ providers: [HttpCacheInterceptor], exports: [HttpCacheInterceptor] })
export class HttpCacheModule extends HttpCacheConfigurableModule {
  /** The module with its options; every option is optional, so is the argument. */
  static override forRoot(options: HttpCacheForRootOptions = {}): DynamicModule {
    return bindGlobally(super.forRoot(options));
  }

  /** The module with options from a factory (`useFactory`, `useClass`, `useExisting`). */
  static override forRootAsync(options: ForRootAsyncOptions): DynamicModule {
    return bindGlobally(super.forRootAsync(options));
  }
}

/** Adds the `APP_INTERCEPTOR` binding (to the module's own instance) unless the extras turned it off. */
function bindGlobally(module: DynamicModule): DynamicModule {
  const binding = (module.providers ?? []).find(
    (provider): provider is Provider & { useValue: unknown } =>
      typeof provider === 'object' &&
      'provide' in provider &&
      provider.provide === HTTP_CACHE_INTERCEPTOR_BINDING,
  );
  if (binding?.useValue !== 'global') return module;
  return {
    ...module,
    providers: [...(module.providers ?? []), { provide: APP_INTERCEPTOR, useExisting: HttpCacheInterceptor }],
  };
}
