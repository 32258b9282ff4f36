import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { CacheStack } from '@strata/core';
import type { StrataEvents } from '@strata/core/internal';
import { from, type Observable, of } from 'rxjs';
import { reportHttpCacheAnswer } from '../metrics/http-cache-report.js';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';
import { resolveCdnTagHeaders } from './cdn-tags.js';
import { resolveCompression } from './content-coding.js';
import { afterResponseDetached, restoreHeaders } from './detached-response.js';
import { variantKey } from './http-cache-key.js';
import { DEFAULT_UNKEYED_HEADERS } from './unkeyed-headers.js';
import { HTTP_CACHE_MODULE_OPTIONS } from './http-cache.module-definition.js';
import { type HttpCacheModuleOptions, resolveRoutePolicy } from './http-cache.options.js';
import { type HttpCachePlan, planCacheRequest, type PlanSettings } from './http-cache-plan.js';
import { replayResponse } from './http-cache-response.js';
import { type HttpCacheRoute, HttpCacheRoutes } from './http-cache-routes.js';
import {
  type ExchangeRequest,
  type ExchangeResponse,
  INVALIDATING_METHODS,
  routeStatus,
} from './http-exchange.js';
import { HttpPageLoader, type PageOutcome } from './http-page-loader.js';
import { type BytesAnswer, sendBytes, setResponseHeader } from './http-response-body.js';
import { HttpResponseStore } from './http-response.store.js';
import { httpPathTag, PathInvalidations } from './path-invalidation.js';
import { ResponseFlights } from './response-flights.js';
import { failedStatus, freshness, StaleRefreshes, staleOnError } from './stale-responses.js';
import { resolvePublicCookies } from './request-cookies.js';
import { clientRequestsRevalidation } from './client-revalidation.js';
import { claimingHandler, isClaimed, passOn } from './request-claim.js';
import { hitRepresentation, sendStoredHit, storedHit } from './stored-hit.js';
import { ageSeconds } from './stored-response.js';

export { httpPathTag };

/** The headers `reportHttpCacheAnswer` reads of a hit. */
const HIT_REPORT_HEADERS = Object.freeze({ 'x-cache': 'HIT' });

/** What `serveFresh` returns when the response is not answered from L1. */
const NOT_IN_L1: unique symbol = Symbol('not in L1');

export type { HttpCachePlan };

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
 * `HttpCacheModule.forRoot()` binds it to every route; a request reaching it twice is served once.
 *
 * @example
 * ```ts
 * @Module({ imports: [StrataModule.forRoot(), HttpCacheModule.forRoot()] })
 * export class AppModule {}
 * ```
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor, OnModuleDestroy {
  private readonly logger = new Logger('Strata');
  private readonly store: HttpResponseStore;
  private readonly flights = new ResponseFlights<PageOutcome>();
  private readonly refreshes = new StaleRefreshes((error) =>
    this.logger.warn(`HTTP stale refresh failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  private readonly routes: HttpCacheRoutes;
  private readonly settings: PlanSettings;
  private readonly invalidations: PathInvalidations;
  /** Runs the handler on a miss and stores its page (http-page-loader.ts). */
  private readonly pages: HttpPageLoader;
  /** Where answers are reported (`http:response`, for metrics). */
  private readonly events: StrataEvents;

  constructor(
    @Inject(STRATA_CACHE_STACK) stack: CacheStack,
    reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(HTTP_CACHE_MODULE_OPTIONS) options: HttpCacheModuleOptions | null = null,
  ) {
    const given = options ?? {};
    this.store = new HttpResponseStore(stack, given.namespace ?? 'http');
    this.events = stack.events;
    this.invalidations = new PathInvalidations(stack);
    const defaultPolicy =
      given.defaultPolicy === undefined
        ? undefined
        : resolveRoutePolicy(given.defaultPolicy, 'defaultPolicy');
    this.routes = new HttpCacheRoutes(reflector, defaultPolicy);
    const publicCookies = resolvePublicCookies(given);
    this.settings = { publicCookies, unkeyedHeaders: given.unkeyedHeaders ?? DEFAULT_UNKEYED_HEADERS };
    const cdnTagHeaders = resolveCdnTagHeaders(given.cdnTagHeaders);
    const compress = resolveCompression(given.compression);
    const { store, logger } = this;
    this.pages = new HttpPageLoader({ stack, store, logger, publicCookies, cdnTagHeaders, compress });
  }

  /** Waits for the background refreshes in progress (while the cache stack is still open); no new one starts. */
  async onModuleDestroy(): Promise<void> {
    await this.refreshes.drain();
  }

  /** @inheritdoc */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    // The arguments of an HTTP handler are `[request, response, next]`: read as they are, not
    // through `switchToHttp()`, which builds three closures per call.
    const req = context.getArgByIndex<ExchangeRequest>(0);
    // Bound twice (the module's global binding and `useGlobalInterceptors` or `@UseInterceptors`):
    // the outer one serves the request, the inner ones pass it through. The outer one marks the
    // request whenever it runs the rest of the pipeline (request-claim.ts), which is the only way
    // an inner one gets to see it.
    if (isClaimed(req)) return next.handle();
    const method = req.method.toUpperCase();
    if (INVALIDATING_METHODS.has(method)) {
      return this.invalidations.after(
        req,
        routeStatus(context.getHandler(), method),
        claimingHandler(req, next),
      );
    }
    if (method !== 'GET' && method !== 'HEAD') return passOn(req, next);
    const route = this.routes.resolve(context.getClass(), context.getHandler());
    if (route === null) return passOn(req, next);
    const plan = this.planRequest(req, route);
    if (plan === undefined) return passOn(req, next);
    const res = context.getArgByIndex<ExchangeResponse>(1);
    if (route.policy.honorClientNoCache && clientRequestsRevalidation(req.headers)) {
      return from(this.revalidate(req, res, route, plan, claimingHandler(req, next)));
    }
    const local = this.serveFresh(req, res, route, plan);
    if (local !== NOT_IN_L1) return of(local);
    return from(this.serve(req, res, route, plan, claimingHandler(req, next)));
  }

  /**
   * The hot path: a fresh response in L1 is answered synchronously (no promise, no flight: a
   * miss in flight for the key can only be storing the same or a newer response than this one).
   * Anything else, {@link NOT_IN_L1}: the full lookup of `serve`.
   */
  private serveFresh(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
  ): unknown {
    const stored = this.store.peek(plan.primary, req.headers);
    if (stored === undefined) return NOT_IN_L1;
    const now = Date.now();
    if (freshness(stored, route.policy, now) !== 'fresh') return NOT_IN_L1;
    // The usual hit, a page with the route's status and no `If-None-Match`: its headers and body
    // prepared once per stored response and representation (stored-hit.ts), no answer object built.
    const hit =
      stored.status === route.status && req.headers['if-none-match'] === undefined
        ? storedHit(stored, hitRepresentation(stored, req.headers))
        : undefined;
    if (hit === undefined) return this.send(req, res, route, replayResponse(req, stored, 'HIT', now));
    if (this.events.has('http:response')) {
      reportHttpCacheAnswer(this.events, req, { status: stored.status, headers: HIT_REPORT_HEADERS });
    }
    const adapter = this.adapterHost.httpAdapter;
    const express = adapter.getType() === 'express';
    return sendStoredHit(adapter, express, res, hit, String(ageSeconds(stored, now)), 'HIT');
  }

  /**
   * The key and tags of a request, or `undefined` when it must bypass the cache: a personal
   * request on a shared route, a header that could poison the cache, an invalid `Host`, or a
   * private route's `varyBy` giving no user.
   */
  protected planRequest(req: ExchangeRequest, route: HttpCacheRoute): HttpCachePlan | undefined {
    return planCacheRequest(req, route, this.settings);
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

  /**
   * A client's `no-cache` on a route that honours it: never answered from the store. The handler
   * runs and its response replaces the stored one. Other requests still get the stored page until
   * then; it leads the key's flight, so those that find none wait for this run instead of their own.
   */
  private async revalidate(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
    next: CallHandler,
  ): Promise<unknown> {
    const outcome = await this.flights.lead(plan.primary, () => this.pages.load(req, res, route, plan, next));
    return this.answer(req, res, route, outcome);
  }

  private answer(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    outcome: PageOutcome,
  ): unknown {
    if (outcome.kind === 'pass') return outcome.value;
    const answer =
      outcome.kind === 'miss'
        ? outcome.answer
        : replayResponse(req, outcome.stored, outcome.kind === 'hit' ? 'HIT' : 'STALE');
    return this.send(req, res, route, answer);
  }

  /** Reports the answer (metrics) and hands it to the adapter; returns what Nest sends. */
  private send(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    answer: BytesAnswer,
  ): unknown {
    reportHttpCacheAnswer(this.events, req, answer);
    return sendBytes(this.adapterHost.httpAdapter, res, route.status, answer);
  }

  private async lookupOrLoad(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
    next: CallHandler,
  ): Promise<PageOutcome> {
    const stored = await this.store.lookup(plan.primary, req.headers, route.scope === 'private');
    if (stored === undefined) return this.pages.load(req, res, route, plan, next);
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
            await afterResponseDetached(res, before, () => this.pages.load(req, res, route, plan, next));
          });
        return { kind: 'stale', stored, variant };
      }
      case 'if-error':
        return this.loadOrStale(res, () => this.pages.load(req, res, route, plan, next), {
          kind: 'stale',
          stored,
          variant,
        });
      case 'expired':
        return this.pages.load(req, res, route, plan, next);
    }
  }

  /** Runs `load` (the handler, as on a miss); `stale` is the answer if it throws or answers a 5xx. */
  private loadOrStale(
    res: ExchangeResponse,
    load: () => Promise<PageOutcome>,
    stale: PageOutcome,
  ): Promise<PageOutcome> {
    const before = { ...res.getHeaders() };
    return staleOnError(
      load,
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
}
