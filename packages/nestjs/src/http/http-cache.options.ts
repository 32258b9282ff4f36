import type { IncomingHttpHeaders } from 'node:http';
import { type Duration, StrataConfigError } from '@strata/core';
import { toPositiveMs } from '@strata/core/internal';
import type { UnkeyedHeaderDecision } from './unkeyed-headers.js';

/**
 * The request as `@HttpCache` callbacks see it: the fields Express and Fastify requests share.
 * Pass your own type (`@HttpCache<AuthedRequest>({ … })`) to read more, such as `req.user`.
 */
export interface HttpCacheRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** Route parameters (`:id`). */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed query string. */
  readonly query: unknown;
}

/**
 * Who may share a cached response.
 *
 * - `public`: one answer for every caller, authenticated or not (RFC 9111 §3.5).
 * - `private`: one answer per user, keyed by `varyBy`; sent with `Cache-Control: private`, so
 *   browsers keep it and shared caches (CDNs) do not.
 */
export type HttpCacheRouteScope = 'public' | 'private';

/** Options of `@HttpCache`. */
export interface HttpCacheOptions<Req extends object = HttpCacheRequest> {
  /** How long a stored response is served (`max-age`): ms or a string such as `'30s'`. */
  readonly ttl: Duration;
  /**
   * Tags of the stored entry: `CacheService.invalidateTags([tag])` drops the page.
   * @default none
   */
  readonly tags?: (req: Req) => readonly string[];
  /**
   * `public` or `private` (see {@link HttpCacheRouteScope}). Without it, requests carrying
   * `Authorization` or any cookie outside the module's `publicCookies` bypass the cache, and the
   * response is shared by the callers that carry neither.
   * @default undefined
   */
  readonly scope?: HttpCacheRouteScope;
  /**
   * The per-user part of the key of a `private` route (a user id). Required when `scope` is
   * `private`; a request for which it returns `undefined` or `''` bypasses the cache.
   */
  readonly varyBy?: (req: Req) => string | undefined;
  /**
   * Store the 404 and 410 raised by the handler (`NotFoundException`, `GoneException`) for this
   * long. Off when absent.
   * @default undefined
   */
  readonly negativeTtl?: Duration;
  /**
   * After `ttl`, keep serving the stored response for this long (`X-Cache: STALE`) while one
   * background run of the handler refreshes it (RFC 5861 `stale-while-revalidate`, also emitted
   * in `Cache-Control`). Off when absent.
   * @default undefined
   */
  readonly staleWhileRevalidate?: Duration;
  /**
   * After `ttl`, when the handler throws or answers a 5xx, serve the stored response for this
   * long instead (`X-Cache: STALE`; RFC 5861 `stale-if-error`, also emitted in `Cache-Control`).
   * Off when absent.
   * @default undefined
   */
  readonly staleIfError?: Duration;
  /**
   * Freshness for shared caches in front of the app (a CDN): emitted as `s-maxage` in
   * `Cache-Control`, so a CDN can keep the page longer (or shorter) than browsers. Not emitted
   * on `private` routes. The server cache itself keeps the page for `ttl`.
   * @default undefined
   */
  readonly sMaxAge?: Duration;
  /**
   * Let a client's request force a fresh answer: a request with `Cache-Control: no-cache`,
   * `Cache-Control: max-age=0`, or (without `Cache-Control`) `Pragma: no-cache` skips the stored
   * page, runs the handler and stores its response in place of the old one. Off by default: a
   * server-side cache protects the app, and any client could otherwise make every request a miss.
   * @default false
   */
  readonly honorClientNoCache?: boolean;
}

/** A route's options after validation: times in ms. */
export interface HttpCacheRoutePolicy {
  readonly ttlMs: number;
  readonly negativeTtlMs: number | undefined;
  readonly staleWhileRevalidateMs: number | undefined;
  readonly staleIfErrorMs: number | undefined;
  readonly sMaxAgeMs: number | undefined;
  readonly scope: HttpCacheRouteScope | undefined;
  readonly tags: ((req: object) => readonly string[]) | undefined;
  readonly varyBy: ((req: object) => string | undefined) | undefined;
  readonly honorClientNoCache: boolean;
}

/**
 * Validates `@HttpCache` options; throws {@link StrataConfigError} naming the option and the
 * value. Runs when the decorator is applied, so a bad route fails the app before it serves.
 */
export function resolveRoutePolicy<Req extends object>(
  options: HttpCacheOptions<Req>,
  where = 'HttpCache',
): HttpCacheRoutePolicy {
  const ttlMs = toPositiveMs(options.ttl, `${where}.ttl`);
  const negativeTtlMs = optionalDuration(options.negativeTtl, `${where}.negativeTtl`);
  const staleWhileRevalidateMs = optionalDuration(
    options.staleWhileRevalidate,
    `${where}.staleWhileRevalidate`,
  );
  const staleIfErrorMs = optionalDuration(options.staleIfError, `${where}.staleIfError`);
  const sMaxAgeMs = optionalDuration(options.sMaxAge, `${where}.sMaxAge`);
  const scope: unknown = options.scope;
  if (scope !== undefined && scope !== 'public' && scope !== 'private') {
    throw new StrataConfigError(`${where}.scope`, scope, 'must be "public" or "private"');
  }
  if (scope === 'private' && typeof options.varyBy !== 'function') {
    throw new StrataConfigError(
      `${where}.varyBy`,
      options.varyBy,
      'a private route needs varyBy (the per-user part of its key), or its users would share one page',
    );
  }
  if (scope !== 'private' && options.varyBy !== undefined) {
    throw new StrataConfigError(`${where}.varyBy`, options.varyBy, 'only a private route takes varyBy');
  }
  const honorClientNoCache: unknown = options.honorClientNoCache;
  if (honorClientNoCache !== undefined && typeof honorClientNoCache !== 'boolean') {
    throw new StrataConfigError(`${where}.honorClientNoCache`, honorClientNoCache, 'must be true or false');
  }
  // The callbacks receive whatever request the adapter gives; `Req` is the caller's promise about it.
  return {
    ttlMs,
    negativeTtlMs,
    staleWhileRevalidateMs,
    staleIfErrorMs,
    sMaxAgeMs,
    scope,
    tags: options.tags as HttpCacheRoutePolicy['tags'],
    varyBy: options.varyBy as HttpCacheRoutePolicy['varyBy'],
    honorClientNoCache: honorClientNoCache === true,
  };
}

/**
 * An optional duration option in ms: `undefined` when absent, else a lifetime (positive, at most
 * `MAX_TTL_MS`, the bound of every lifetime in the stack the pages are stored in).
 */
function optionalDuration(value: Duration | undefined, option: string): number | undefined {
  return value === undefined ? undefined : toPositiveMs(value, option);
}

/** Options of `HttpCacheModule.forRoot`, shared by every route the interceptor handles. */
export interface HttpCacheModuleOptions {
  /**
   * Applied to GET routes without `@HttpCache` (and without `@NoHttpCache`). Without it, only
   * routes with `@HttpCache` are cached.
   * @default undefined
   */
  readonly defaultPolicy?: HttpCacheOptions;
  /**
   * The cookies a request may carry and still be answered from (and stored in) a route that is
   * neither `private` nor `public`: cookies that never change the page, such as analytics and
   * consent cookies (`['_ga', '_gid', '_fbp', 'CookieConsent']`). Any other cookie, or a `Cookie`
   * header that cannot be read, makes the request bypass such routes. Names are compared exactly
   * (case-sensitive). Replaces the removed `sessionCookieNames`, which now fails at boot.
   * @default []
   */
  readonly publicCookies?: readonly string[];
  /**
   * Request headers that can change a response without being in the key: `bypass` (skip the
   * cache) or `key` (add the value to the key).
   * @default DEFAULT_UNKEYED_HEADERS
   */
  readonly unkeyedHeaders?: Readonly<Record<string, UnkeyedHeaderDecision>>;
  /**
   * Namespace of the HTTP entries in the cache stack.
   * @default 'http'
   */
  readonly namespace?: string;
  /**
   * Send the route's `tags` to a CDN in front of the app, so it can purge by them too:
   * `'Surrogate-Key'` (Fastly, space-separated) and/or `'Cache-Tag'` (Cloudflare, Akamai,
   * comma-separated). The headers are stored with the page and sent on hits too; tags containing
   * whitespace, a comma or a control character are left out of them. Neither by default: most
   * apps have no such CDN, and the tags would only reveal internals.
   * @default []
   */
  readonly cdnTagHeaders?: readonly CdnTagHeader[];
  /**
   * Store compressible pages (text, JSON, XML, JavaScript, SVG… of 1 KB or more) compressed too,
   * in `br` and `gzip`, once when they are stored; every answer then goes in the coding its
   * request's `Accept-Encoding` selects, with `Content-Encoding` and `Vary: Accept-Encoding`, and
   * a compression middleware leaves it alone. `false`: pages are stored and sent as the handler
   * made them (a compression middleware then compresses each answer itself).
   * @default true
   */
  readonly compression?: boolean;
}

/** A response header that carries the route's tags to a CDN (see `cdnTagHeaders`). */
export type CdnTagHeader = 'Surrogate-Key' | 'Cache-Tag';
