import { SetMetadata } from '@nestjs/common';
import { type HttpCacheOptions, type HttpCacheRequest, resolveRoutePolicy } from './http-cache.options.js';

/** Metadata key of `@HttpCache` on a handler or controller: the validated route policy. */
export const HTTP_CACHE_METADATA = Symbol.for('strata:http-cache');
/** Metadata key of `@NoHttpCache` on a handler or controller. */
export const NO_HTTP_CACHE_METADATA = Symbol.for('strata:no-http-cache');

/**
 * Caches the GET (and HEAD) responses of a route, or of every route of a controller, when the
 * `HttpCacheInterceptor` runs for it. Metadata only: the options are validated here, so a bad one
 * (a `private` scope without `varyBy`, say) throws a `StrataConfigError` before the app serves.
 * A handler's decorator wins over its controller's.
 *
 * @example
 * ```ts
 * @HttpCache({ ttl: '30s', tags: (req) => [`product:${req.params.id}`] })
 * @Get(':id') findOne(@Param('id') id: string) { … }
 *
 * @HttpCache<AuthedRequest>({ ttl: '1m', scope: 'private', varyBy: (req) => req.user.id })
 * @Get('me/orders') myOrders() { … }
 * ```
 */
export const HttpCache = <Req extends object = HttpCacheRequest>(
  options: HttpCacheOptions<Req>,
): MethodDecorator & ClassDecorator => SetMetadata(HTTP_CACHE_METADATA, resolveRoutePolicy(options));

/**
 * Never caches this route (or this controller's routes), even under a controller-level
 * `@HttpCache` or the module's `defaultPolicy`.
 *
 * @example
 * ```ts
 * @NoHttpCache() @Get('me') me() { … }
 * ```
 */
export const NoHttpCache = (): MethodDecorator & ClassDecorator => SetMetadata(NO_HTTP_CACHE_METADATA, true);
