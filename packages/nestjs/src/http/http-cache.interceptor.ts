import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { CacheStack } from '@strata/core';
import { from, lastValueFrom, mergeMap, type Observable } from 'rxjs';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';
import { checkUnkeyedHeaders, DEFAULT_UNKEYED_HEADERS, primaryKey, variantKey } from './http-cache-key.js';
import { HTTP_CACHE_MODULE_OPTIONS } from './http-cache.module-definition.js';
import { type HttpCacheModuleOptions, resolveRoutePolicy } from './http-cache.options.js';
import { captureResponse, missResponse, replayResponse } from './http-cache-response.js';
import { type HttpCacheRoute, HttpCacheRoutes } from './http-cache-routes.js';
import {
  type ExchangeRequest,
  type ExchangeResponse,
  INVALIDATING_METHODS,
  requestTarget,
  routeStatus,
} from './http-exchange.js';
import { headerString } from './http-headers.js';
import { type BytesAnswer, isStreamingValue, sendBytes } from './http-response-body.js';
import { HttpResponseStore } from './http-response.store.js';
import { ResponseFlights } from './response-flights.js';
import {
  checkCacheableRequest,
  checkStorableResponse,
  DEFAULT_SESSION_COOKIES,
} from './storable-response.js';
import { type StoredResponse, toStoredResponse } from './stored-response.js';

/** What one request needs to use the cache: its primary key and the tags of what it stores. */
export interface HttpCachePlan {
  /** The primary key, with a digest of the per-user and keyed-header parts when there are. */
  readonly primary: string;
  /** The path tag and the route's tags. */
  readonly tags: readonly string[];
}

/** The leader's outcome, also seen by the requests that waited for it. */
type Outcome =
  | { readonly kind: 'hit'; readonly stored: StoredResponse; readonly variant: string }
  | {
      readonly kind: 'miss';
      readonly answer: BytesAnswer;
      readonly stored?: StoredResponse;
      readonly variant: string;
    }
  | { readonly kind: 'pass'; readonly value: unknown };

/** Tag every cached GET of a path carries: a 2xx POST/PUT/PATCH/DELETE to the path drops them all. */
export function httpPathTag(hostAndPath: string): string {
  return `http:path:${hostAndPath}`;
}

/**
 * Caches the responses of GET routes marked `@HttpCache` (RFC 9111 semantics) in the module's
 * cache stack, and invalidates them when the same path answers a POST, PUT, PATCH or DELETE with
 * a 2xx. See docs/http-caching.md for what is stored and what never is.
 *
 * - Hit: the stored status, headers and exact bytes, with `Age` and `X-Cache: HIT`; a matching
 *   `If-None-Match` (weak comparison) gets a 304; HEAD is answered from a stored GET.
 * - Miss: the handler's value is serialized once; the same bytes are sent (`X-Cache: MISS`) and,
 *   when storable, stored with a strong `ETag` and the route's `Cache-Control`.
 * - Concurrent misses for one key run the handler once; a waiter reuses the result only if it
 *   was stored and its variant matches the waiter's own request.
 *
 * Subclass it and override {@link HttpCacheInterceptor.planRequest} to change keys or bypasses.
 *
 * @example
 * ```ts
 * app.useGlobalInterceptors(app.get(HttpCacheInterceptor));
 * ```
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Strata');
  private readonly store: HttpResponseStore;
  private readonly flights = new ResponseFlights<Outcome>();
  private readonly routes: HttpCacheRoutes;
  private readonly sessionCookieNames: readonly string[];
  private readonly unkeyedHeaders: HttpCacheModuleOptions['unkeyedHeaders'];
  /**
   * Bumped before and after each invalidation this interceptor makes. A load that saw it change
   * while its handler ran may have read the old data, so it does not store its response (the
   * "no stale sets" rule of the core, for the writes that go through this instance).
   */
  private invalidations = 0;

  constructor(
    @Inject(STRATA_CACHE_STACK) private readonly stack: CacheStack,
    reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(HTTP_CACHE_MODULE_OPTIONS) options: HttpCacheModuleOptions | null = null,
  ) {
    const o = options ?? {};
    this.store = new HttpResponseStore(stack, o.namespace ?? 'http');
    const defaultPolicy =
      o.defaultPolicy === undefined ? undefined : resolveRoutePolicy(o.defaultPolicy, 'defaultPolicy');
    this.routes = new HttpCacheRoutes(reflector, defaultPolicy);
    this.sessionCookieNames = o.sessionCookieNames ?? DEFAULT_SESSION_COOKIES;
    this.unkeyedHeaders = o.unkeyedHeaders ?? DEFAULT_UNKEYED_HEADERS;
  }

  /** @inheritdoc */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<ExchangeRequest>();
    const method = req.method.toUpperCase();
    if (INVALIDATING_METHODS.has(method)) return this.invalidateAfter(context, req, method, next);
    if (method !== 'GET' && method !== 'HEAD') return next.handle();
    const route = this.routes.resolve(context.getClass(), context.getHandler());
    if (route === null) return next.handle();
    const plan = this.planRequest(req, route);
    if (plan === undefined) return next.handle();
    const res = context.switchToHttp().getResponse<ExchangeResponse>();
    return from(this.serve(req, res, route, plan, next));
  }

  /**
   * The key and tags of a request, or `undefined` when it must bypass the cache: a personal
   * request on a shared route, a header that could poison the cache, an invalid `Host`, or a
   * private route's `varyBy` giving no user.
   */
  protected planRequest(req: ExchangeRequest, route: HttpCacheRoute): HttpCachePlan | undefined {
    const options = { scope: route.scope, sessionCookieNames: this.sessionCookieNames };
    if (!checkCacheableRequest({ method: req.method, headers: req.headers }, options).ok) return undefined;
    const unkeyed = checkUnkeyedHeaders(req.headers, this.unkeyedHeaders);
    if (!unkeyed.ok) return undefined;
    const primary = primaryKey({ host: headerString(req.headers, 'host'), url: requestTarget(req) });
    if (!primary.ok) return undefined;
    let user = '';
    if (route.policy.varyBy !== undefined) {
      const id = route.policy.varyBy(req);
      if (typeof id !== 'string' || id.length === 0) return undefined;
      user = id;
    }
    const mark = primary.key.indexOf('?');
    const path = mark === -1 ? primary.key : primary.key.slice(0, mark);
    const tags = [httpPathTag(path), ...(route.policy.tags?.(req) ?? [])];
    if (unkeyed.keyPart.length === 0 && user.length === 0) return { primary: primary.key, tags };
    // A digest: a user id or a header value stays out of the key's readable part.
    const extra = createHash('sha256')
      .update(JSON.stringify([unkeyed.keyPart, user]))
      .digest('base64url');
    return { primary: `${primary.key}|k:${extra}`, tags };
  }

  private async serve(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
    next: CallHandler,
  ): Promise<unknown> {
    const flight = this.flights.current(plan.primary);
    if (flight !== undefined) {
      // A waiter: the leader's error or unstored response is not ours to send.
      const outcome = await flight.catch(() => undefined);
      if (outcome !== undefined && outcome.kind !== 'pass' && outcome.stored !== undefined) {
        const { stored, variant } = outcome;
        if (variantKey(stored.varyNames, req.headers) === variant) {
          return this.send(res, route, replayResponse(req, stored));
        }
      }
      return this.answer(req, res, route, await this.lookupOrLoad(req, res, route, plan, next));
    }
    const outcome = await this.flights.lead(plan.primary, () =>
      this.lookupOrLoad(req, res, route, plan, next),
    );
    return this.answer(req, res, route, outcome);
  }

  private answer(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    outcome: Outcome,
  ): unknown {
    if (outcome.kind === 'pass') return outcome.value;
    return this.send(
      res,
      route,
      outcome.kind === 'hit' ? replayResponse(req, outcome.stored) : outcome.answer,
    );
  }

  private send(res: ExchangeResponse, route: HttpCacheRoute, answer: BytesAnswer): unknown {
    return sendBytes(this.adapterHost.httpAdapter, res, route.status, answer);
  }

  private async lookupOrLoad(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
    next: CallHandler,
  ): Promise<Outcome> {
    const stored = await this.store.lookup(plan.primary, req.headers);
    if (stored !== undefined)
      return { kind: 'hit', stored, variant: variantKey(stored.varyNames, req.headers) };
    return this.load(req, res, route, plan, next);
  }

  private async load(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
    next: CallHandler,
  ): Promise<Outcome> {
    const { policy } = route;
    let status = route.status;
    const invalidationsBefore = this.invalidations;
    let value: unknown;
    try {
      value = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      const negative = error instanceof HttpException && [404, 410].includes(error.getStatus());
      if (!negative || policy.negativeTtlMs === undefined) throw error;
      status = error.getStatus();
      value = errorBody(error);
    }
    if (isStreamingValue(value)) return { kind: 'pass', value };
    const ttlMs = status === route.status ? policy.ttlMs : (policy.negativeTtlMs ?? policy.ttlMs);
    const captured = captureResponse({
      value,
      status,
      handlerHeaders: res.getHeaders(),
      scope: route.scope,
      ttlMs,
    });
    const decision = checkStorableResponse(
      { method: req.method, headers: req.headers },
      { status, headers: captured.headers },
      {
        scope: route.scope,
        sessionCookieNames: this.sessionCookieNames,
        negativeCaching: policy.negativeTtlMs !== undefined,
      },
    );
    let stored: StoredResponse | undefined;
    if (decision.ok && this.invalidations === invalidationsBefore) {
      const candidate = toStoredResponse({ ...captured, storedAt: Date.now(), tags: plan.tags });
      try {
        await this.store.store(plan.primary, req.headers, candidate, ttlMs);
        stored = candidate;
      } catch (error) {
        // A response that could not be stored is still sent; waiters run their own handler.
        this.logger.warn(
          `HTTP response not cached: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const variant = variantKey(captured.varyNames, req.headers);
    return { kind: 'miss', answer: missResponse(req, captured), stored, variant };
  }

  private invalidateAfter(
    context: ExecutionContext,
    req: ExchangeRequest,
    method: string,
    next: CallHandler,
  ): Observable<unknown> {
    const status = routeStatus(context.getHandler(), method);
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        const answered = value instanceof Response ? value.status : status;
        const target = requestTarget(req);
        const mark = target.indexOf('?');
        const primary = primaryKey({
          host: headerString(req.headers, 'host'),
          url: mark === -1 ? target : target.slice(0, mark),
        });
        // Awaited before the answer is sent: the client's next GET must not see the old page.
        if (answered >= 200 && answered < 300 && primary.ok) {
          this.invalidations++;
          try {
            await this.stack.invalidateTags([httpPathTag(primary.key)]);
          } finally {
            this.invalidations++;
          }
        }
        return value;
      }),
    );
  }
}

/** The body Nest's exception filter would send for an `HttpException`. */
function errorBody(error: HttpException): unknown {
  const response = error.getResponse();
  return typeof response === 'string' ? { statusCode: error.getStatus(), message: response } : response;
}
