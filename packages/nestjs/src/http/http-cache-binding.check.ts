import { Inject, Injectable, type OnApplicationBootstrap, Optional, type Type } from '@nestjs/common';
import { ApplicationConfig, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { DecoratorMisuseError } from '../errors/decorator-misuse.error.js';
import { HTTP_CACHE_METADATA, NO_HTTP_CACHE_METADATA } from './http-cache.decorator.js';
import { HttpCacheInterceptor } from './http-cache.interceptor.js';
import {
  HTTP_CACHE_INTERCEPTOR_BINDING,
  type HttpCacheInterceptorBinding,
} from './http-cache.module-definition.js';

// Nest's metadata keys (`@nestjs/common/constants`) of `@UseInterceptors` and of route methods.
const INTERCEPTORS_METADATA = '__interceptors__';
const PATH_METADATA = 'path';

/**
 * Fails the boot when a route is marked `@HttpCache` but no `HttpCacheInterceptor` serves it: such
 * a route would answer uncached, without an `X-Cache` header or a word. Runs at application
 * bootstrap (`app.init()`/`listen()`), when every binding is known: the module's global one,
 * `app.useGlobalInterceptors(...)` made before that, and `@UseInterceptors` on the controller or
 * the method. Provided by `StrataModule`, so it runs even when `HttpCacheModule` is not imported.
 */
@Injectable()
export class HttpCacheBindingCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly config: ApplicationConfig,
    @Optional()
    @Inject(HTTP_CACHE_INTERCEPTOR_BINDING)
    private readonly binding: HttpCacheInterceptorBinding | null = null,
  ) {}

  /** @inheritdoc */
  onApplicationBootstrap(): void {
    if (this.binding === 'off' || this.boundGlobally()) return;
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype;
      if (typeof controller !== 'function') continue;
      this.checkController(controller as Type);
    }
  }

  private boundGlobally(): boolean {
    if (
      this.config.getGlobalInterceptors().some((interceptor) => interceptor instanceof HttpCacheInterceptor)
    )
      return true;
    return this.config
      .getGlobalRequestInterceptors()
      .some(
        (wrapper) =>
          isHttpCacheInterceptor(wrapper.metatype) || wrapper.instance instanceof HttpCacheInterceptor,
      );
  }

  private checkController(controller: Type): void {
    const onClass = Reflect.getMetadata(HTTP_CACHE_METADATA, controller) !== undefined;
    const classBound = boundOn(controller);
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined)
        continue;
      const marked = Reflect.getMetadata(HTTP_CACHE_METADATA, handler) !== undefined;
      const excluded = Reflect.getMetadata(NO_HTTP_CACHE_METADATA, handler) === true;
      if (!(marked || (onClass && !excluded)) || classBound || boundOn(handler)) continue;
      throw new DecoratorMisuseError(
        `${controller.name}.${name}`,
        '@HttpCache has no effect: no HttpCacheInterceptor serves this route. Import HttpCacheModule.forRoot() ' +
          "(it binds the interceptor to every route), or with HttpCacheModule.forRoot({ interceptor: 'manual' }) " +
          'add @UseInterceptors(HttpCacheInterceptor) to the controller or call ' +
          'app.useGlobalInterceptors(app.get(HttpCacheInterceptor)) before listen()',
      );
    }
  }
}

function boundOn(target: object): boolean {
  const interceptors: unknown = Reflect.getMetadata(INTERCEPTORS_METADATA, target);
  return Array.isArray(interceptors) && interceptors.some(isHttpCacheInterceptor);
}

function isHttpCacheInterceptor(value: unknown): boolean {
  if (value instanceof HttpCacheInterceptor) return true;
  return (
    typeof value === 'function' &&
    (value === HttpCacheInterceptor ||
      (value as { prototype?: unknown }).prototype instanceof HttpCacheInterceptor)
  );
}
