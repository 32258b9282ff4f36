import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { CacheStack, StrataEvents } from '@strata/core';
import { reportHttpCacheAnswer } from '../metrics/http-cache-report.js';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';
import { checkUnkeyedHeaders, DEFAULT_UNKEYED_HEADERS, primaryKey, variantKey } from './http-cache-key.js';
import { HTTP_CACHE_MODULE_OPTIONS } from './http-cache.module-definition.js';
import { type CdnTagHeader, type HttpCacheModuleOptions, resolveRoutePolicy } from './http-cache.options.js';
import { cdnTagHeaders, resolveCdnTagHeaders } from './cdn-tags.js';
import { captureResponse, errorBody, missResponse, replayResponse } from './http-cache-response.js';
import { type HttpCacheRoute, HttpCacheRoutes } from './http-cache-routes.js';
import {
  type ExchangeRequest,
  type ExchangeResponse,
  INVALIDATING_METHODS,
  requestTarget,
  routeStatus,
} from './http-exchange.js';
import { afterResponseDetached, restoreHeaders } from './detached-response.js';
import { headerString } from './http-headers.js';
import { type BytesAnswer, isStreamingValue, sendBytes, setResponseHeader } from './http-response-body.js';
import { HttpResponseStore } from './http-response.store.js';
import { httpPathTag, PathInvalidations } from './path-invalidation.js';
import { ResponseFlights } from './response-flights.js';
import {
  failedStatus,
  freshness,
  StaleRefreshes,
  staleOnError,
  storedLifetimeMs,
} from './stale-responses.js';
import {
  checkCacheableRequest,
  checkStorableResponse,
  DEFAULT_SESSION_COOKIES,
} from './storable-response.js';
import { type StoredResponse, toStoredResponse } from './stored-response.js';

export { httpPathTag };

/** What one request needs to use the cache: its primary key and the tags of what it stores. */
export interface HttpCachePlan {
  /** The primary key, with a digest of the per-user and keyed-header parts when there are. */
  readonly primary: string;
  /** The path tag and the route's tags. */
  readonly tags: readonly string[];
  /** The route's own tags (what `cdnTagHeaders` sends to a CDN). */
  readonly routeTags?: readonly string[];
}

/** The leader's outcome, also seen by the requests that waited for it. */
type Outcome =
  | { readonly kind: 'hit' | 'stale'; readonly stored: StoredResponse; readonly variant: string }
  | {
      readonly kind: 'miss';
      readonly answer: BytesAnswer;
      readonly stored?: StoredResponse;
      readonly variant: string;
    }
  | { readonly kind: 'pass'; readonly value: unknown };

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
 * - Stale (RFC 5861; entries live `ttl + max(staleWhileRevalidate, staleIfError)` and know
 *   their `freshUntil`, see stale-responses.ts): inside `staleWhileRevalidate` the entry is sent
 *   at once (`X-Cache: STALE`, its `Age`) and ONE tracked refresh per key and variant re-runs the
 *   handler through this request's pipeline after the answer was sent, with the response's
 *   header methods shadowed (detached-response.ts): what it sets is stored, never sent. Inside
 *   `staleIfError` the handler runs; if it throws (not a 4xx) or answers a 5xx, the entry is
 *   sent instead, without the failed run's headers.
 *
 * Subclass it and override {@link HttpCacheInterceptor.planRequest} to change keys or bypasses.
 *
 * @example
 * ```ts
 * app.useGlobalInterceptors(app.get(HttpCacheInterceptor));
 * ```
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor, OnModuleDestroy {
  private readonly logger = new Logger('Strata');
  private readonly store: HttpResponseStore;
  private readonly flights = new ResponseFlights<Outcome>();
  private readonly refreshes = new StaleRefreshes((error) =>
    this.logger.warn(`HTTP stale refresh failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  private readonly routes: HttpCacheRoutes;
  private readonly sessionCookieNames: readonly string[];
  private readonly unkeyedHeaders: HttpCacheModuleOptions['unkeyedHeaders'];
  private readonly invalidations: PathInvalidations;
  private readonly cdnTagHeaders: readonly CdnTagHeader[];
  /** Where answers are reported (`http:response`, for metrics). */
  private readonly events: StrataEvents;

  constructor(
    @Inject(STRATA_CACHE_STACK) private readonly stack: CacheStack,
    reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(HTTP_CACHE_MODULE_OPTIONS) options: HttpCacheModuleOptions | null = null,
  ) {
    const o = options ?? {};
    this.store = new HttpResponseStore(stack, o.namespace ?? 'http');
    this.events = stack.events;
    this.invalidations = new PathInvalidations(stack);
    const defaultPolicy =
      o.defaultPolicy === undefined ? undefined : resolveRoutePolicy(o.defaultPolicy, 'defaultPolicy');
    this.routes = new HttpCacheRoutes(reflector, defaultPolicy);
    this.sessionCookieNames = o.sessionCookieNames ?? DEFAULT_SESSION_COOKIES;
    this.unkeyedHeaders = o.unkeyedHeaders ?? DEFAULT_UNKEYED_HEADERS;
    this.cdnTagHeaders = resolveCdnTagHeaders(o.cdnTagHeaders);
  }

  /** Waits for the background refreshes in progress (while the cache stack is still open); no new one starts. */
  async onModuleDestroy(): Promise<void> {
    await this.refreshes.drain();
  }

  /** @inheritdoc */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<ExchangeRequest>();
    const method = req.method.toUpperCase();
    if (INVALIDATING_METHODS.has(method)) {
      return this.invalidations.after(req, routeStatus(context.getHandler(), method), next);
    }
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
    const routeTags = route.policy.tags?.(req) ?? [];
    const tags = [httpPathTag(path), ...routeTags];
    if (unkeyed.keyPart.length === 0 && user.length === 0) return { primary: primary.key, tags, routeTags };
    // A digest: a user id or a header value stays out of the key's readable part.
    const extra = createHash('sha256')
      .update(JSON.stringify([unkeyed.keyPart, user]))
      .digest('base64url');
    return { primary: `${primary.key}|k:${extra}`, tags, routeTags };
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
          return this.answer(req, res, route, {
            kind: outcome.kind === 'stale' ? 'stale' : 'hit',
            stored,
            variant,
          });
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
    const answer =
      outcome.kind === 'miss'
        ? outcome.answer
        : replayResponse(req, outcome.stored, outcome.kind === 'hit' ? 'HIT' : 'STALE');
    reportHttpCacheAnswer(this.events, req, answer);
    return this.send(res, route, answer);
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
    if (stored === undefined) return this.load(req, res, route, plan, next);
    const variant = variantKey(stored.varyNames, req.headers);
    switch (freshness(stored, route.policy, Date.now())) {
      case 'fresh':
        return { kind: 'hit', stored, variant };
      case 'revalidate': {
        // Taken before the stale answer sets its headers: the refresh starts from the same ones.
        const before = { ...res.getHeaders() };
        // A HEAD is not stored (see load): only a GET refreshes.
        if (req.method.toUpperCase() === 'GET')
          this.refreshes.start(`${plan.primary}\n${variant}`, async () => {
            await afterResponseDetached(res, before, () => this.load(req, res, route, plan, next));
          });
        return { kind: 'stale', stored, variant };
      }
      case 'if-error':
        return this.loadOrStale(req, res, route, plan, next, { kind: 'stale', stored, variant });
      case 'expired':
        return this.load(req, res, route, plan, next);
    }
  }

  /** Runs the handler as on a miss; `stale` is the answer if it throws or answers a 5xx. */
  private loadOrStale(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
    next: CallHandler,
    stale: Outcome,
  ): Promise<Outcome> {
    const before = { ...res.getHeaders() };
    return staleOnError(
      () => this.load(req, res, route, plan, next),
      (outcome) =>
        failedStatus(outcome.kind === 'miss' ? outcome.answer : outcome.kind === 'pass' && outcome.value),
      () => {
        // The failed handler's headers (a passthrough `res.header()`) must not go out with it.
        restoreHeaders(res, before, (name, value) =>
          setResponseHeader(this.adapterHost.httpAdapter, res, name, value),
        );
        return stale;
      },
    );
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
    // Before the handler: what is invalidated while it runs keeps its response out.
    const ticket = await this.store.ticket(plan.primary);
    // What the handler reads through @Cacheable or CacheService (a 404 included: creating the
    // missing entry then drops the negative page): invalidating any of it drops the page.
    const handled = await this.stack.trackDependencies(() =>
      lastValueFrom(next.handle(), { defaultValue: undefined }).then(
        (result: unknown) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    const dependsOn = handled.dependencies;
    let value: unknown;
    if (handled.value.ok) value = handled.value.result;
    else {
      const { error } = handled.value;
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
      ...(status === route.status && {
        staleWhileRevalidateMs: policy.staleWhileRevalidateMs,
        staleIfErrorMs: policy.staleIfErrorMs,
        sMaxAgeMs: policy.sMaxAgeMs,
      }),
      extraHeaders: cdnTagHeaders(this.cdnTagHeaders, plan.routeTags ?? []),
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
    if (decision.ok) {
      const storedAt = Date.now();
      // A negative entry gets no stale window: it is fresh for its whole (short) life.
      const normal = status === route.status;
      const candidate = toStoredResponse({
        ...captured,
        storedAt,
        tags: plan.tags,
        freshUntil: normal ? storedAt + ttlMs : undefined,
      });
      try {
        const lifetimeMs = normal ? storedLifetimeMs(policy, ttlMs) : ttlMs;
        await this.store.store(plan.primary, req.headers, candidate, lifetimeMs, { ticket, dependsOn });
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
}
