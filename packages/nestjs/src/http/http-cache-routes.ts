import { VERSION_METADATA } from '@nestjs/common/constants.js';
import type { Reflector } from '@nestjs/core';
import type { HttpCacheScope } from './cache-control.js';
import { HTTP_CACHE_METADATA, NO_HTTP_CACHE_METADATA } from './http-cache.decorator.js';
import type { HttpCacheRoutePolicy } from './http-cache.options.js';
import {
  type RouteController,
  type RouteHandler,
  routeStatus,
  sendsItsOwnResponse,
} from './http-exchange.js';

/** A cached route, as the interceptor resolved it: its policy and the status Nest sends for its value. */
export interface HttpCacheRoute {
  /**
   * The route's identity in the key: `Controller.handler`, plus `@<versions>` for a versioned
   * route, so that two handlers serving one path (header versioning) never share an entry. The
   * same on every instance of the app.
   */
  readonly id: string;
  readonly policy: HttpCacheRoutePolicy;
  readonly scope: HttpCacheScope;
  /** `@HttpCode()` or 200. */
  readonly status: number;
}

/**
 * Which routes are cached, resolved once per handler: the handler's `@NoHttpCache` /
 * `@HttpCache`, then its controller's, then the module's default policy. Routes that send their
 * own response (`@Res()` without `passthrough`) never are.
 */
export class HttpCacheRoutes {
  private readonly routes = new WeakMap<RouteController, Map<RouteHandler, HttpCacheRoute | null>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly defaultPolicy: HttpCacheRoutePolicy | undefined,
  ) {}

  /** The route of `handler` in `controller`, or `null` when it is not cached. */
  resolve(controller: RouteController, handler: RouteHandler): HttpCacheRoute | null {
    let byHandler = this.routes.get(controller);
    if (byHandler === undefined) {
      byHandler = new Map();
      this.routes.set(controller, byHandler);
    }
    let route = byHandler.get(handler);
    if (route === undefined) {
      route = this.read(controller, handler);
      byHandler.set(handler, route);
    }
    return route;
  }

  private read(controller: RouteController, handler: RouteHandler): HttpCacheRoute | null {
    let policy: HttpCacheRoutePolicy | undefined;
    for (const target of [handler, controller]) {
      if (this.reflector.get<boolean | undefined>(NO_HTTP_CACHE_METADATA, target) === true) return null;
      policy = this.reflector.get<HttpCacheRoutePolicy | undefined>(HTTP_CACHE_METADATA, target);
      if (policy !== undefined) break;
    }
    policy ??= this.defaultPolicy;
    if (policy === undefined || sendsItsOwnResponse(controller, handler)) return null;
    return {
      id: routeId(controller, handler),
      policy,
      scope: policy.scope ?? 'shared-default',
      status: routeStatus(handler, 'GET'),
    };
  }
}

/** See {@link HttpCacheRoute.id}. */
function routeId(controller: RouteController, handler: RouteHandler): string {
  const version: unknown =
    Reflect.getMetadata(VERSION_METADATA, handler) ?? Reflect.getMetadata(VERSION_METADATA, controller);
  const id = `${controller.name}.${handler.name}`;
  if (version === undefined) return id;
  const versions: readonly unknown[] = Array.isArray(version) ? version : [version];
  return `${id}@${versions.map((v) => (typeof v === 'symbol' ? (v.description ?? 'symbol') : String(v))).join(',')}`;
}
