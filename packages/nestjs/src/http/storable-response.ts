/**
 * Whether a request may use the HTTP cache at all, and whether its response may be stored, with
 * the reason when not (for logs, metrics and tests). The rules of RFC 9111 §3 and §3.5, narrowed
 * to what a server-side cache in front of one application should share.
 *
 * @module
 */
import { type HttpCacheScope, cacheControlBlocker, parseCacheControl } from './cache-control.js';
import { type HeaderSource, hasHeader, headerString } from './http-headers.js';
import { parseVary } from './http-cache-key.js';
import { nonPublicCookie } from './request-cookies.js';

/**
 * Status codes stored by default: RFC 9110 §15.1's "heuristically cacheable" codes less 206
 * (partial content) and the errors (404, 405, 410, 414, 501).
 */
export const DEFAULT_CACHEABLE_STATUSES: readonly number[] = Object.freeze([200, 203, 204, 300, 301, 308]);

/** Status codes added by {@link StorableOptions.negativeCaching}. */
export const NEGATIVE_CACHEABLE_STATUSES: readonly number[] = Object.freeze([404, 410]);

/** Why a request bypasses the cache before the handler runs. */
export type RequestBypassReason = 'method' | 'authorization' | 'cookie';

/** Why a response is not stored. */
export type NotStorableReason =
  RequestBypassReason | 'status' | 'set-cookie' | 'vary-star' | 'no-store' | 'private' | 'no-cache';

/** A decision: `ok`, or the reason with a human-readable detail. */
export type CacheDecision<Reason extends string> =
  { readonly ok: true } | { readonly ok: false; readonly reason: Reason; readonly detail: string };

/** Route and module settings the decisions depend on. */
export interface StorableOptions {
  /** The route's scope: `private` and `public` routes accept authenticated requests. */
  readonly scope: HttpCacheScope;
  /**
   * The only cookies a request may carry and still share a route that is neither `private` nor
   * `public` (names compared exactly).
   * @default none: any cookie bypasses such routes
   */
  readonly publicCookies?: ReadonlySet<string>;
  /**
   * Store 404 and 410 too (with their own short TTL, chosen by the caller).
   * @default false
   */
  readonly negativeCaching?: boolean;
}

/** The request side of a decision. */
export interface CacheRequest {
  /** The method, any case. */
  readonly method: string;
  /** The request headers. */
  readonly headers: HeaderSource;
}

const NO_PUBLIC_COOKIES: ReadonlySet<string> = new Set();

/** The decision of a request that may use the cache (one object for all). */
const CACHEABLE: CacheDecision<RequestBypassReason> = Object.freeze({ ok: true });

function fail<Reason extends string>(reason: Reason, detail: string): CacheDecision<Reason> {
  return { ok: false, reason, detail };
}

/**
 * Whether a request may be answered from the cache (and its response considered for storing).
 * Only GET and HEAD. A request with `Authorization`, or with any cookie outside `publicCookies`
 * (or an unreadable `Cookie` header), may be personal: it bypasses the cache unless the route is
 * `private` (keyed per user: the caller must ensure a per-user key) or explicitly `public` (the
 * same answer for everyone, RFC 9111 §3.5). Fails closed: a cookie this check does not know
 * could be a session, a JWT or a feature flag, so it keeps the request off the shared page.
 */
export function checkCacheableRequest(
  request: CacheRequest,
  options: StorableOptions,
): CacheDecision<RequestBypassReason> {
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD')
    return fail('method', `${method} is never served from the cache`);
  if (options.scope === 'private' || options.scope === 'public') return CACHEABLE;
  if (hasHeader(request.headers, 'authorization')) {
    return fail(
      'authorization',
      'the request carries Authorization and the route is neither private nor public',
    );
  }
  const cookie = nonPublicCookie(request.headers, options.publicCookies ?? NO_PUBLIC_COOKIES);
  if (cookie !== undefined) {
    return fail('cookie', `the request carries ${cookie} and the route is neither private nor public`);
  }
  return CACHEABLE;
}

/** The response side of a decision. */
export interface CacheResponse {
  /** The status code. */
  readonly status: number;
  /** The response headers as the handler left them. */
  readonly headers: HeaderSource;
}

/**
 * Whether a response may be stored: the request checks of {@link checkCacheableRequest} first,
 * then HEAD (answered from a stored GET, never stored itself, as it has no body), the status, then
 * `Set-Cookie`, `Vary: *` and the response's `Cache-Control` (see `cacheControlBlocker`).
 *
 * @example
 * ```ts
 * const decision = checkStorableResponse(
 *   { method: 'GET', headers: req.headers },
 *   { status: 200, headers: res.getHeaders() },
 *   { scope: 'shared-default' },
 * );
 * if (!decision.ok) logger.debug(`not stored: ${decision.detail}`);
 * ```
 */
export function checkStorableResponse(
  request: CacheRequest,
  response: CacheResponse,
  options: StorableOptions,
): CacheDecision<NotStorableReason> {
  const requestDecision = checkCacheableRequest(request, options);
  if (!requestDecision.ok) return requestDecision;
  if (request.method.toUpperCase() === 'HEAD') {
    return fail('method', 'HEAD is answered from a stored GET, never stored itself');
  }
  const cacheable =
    DEFAULT_CACHEABLE_STATUSES.includes(response.status) ||
    (options.negativeCaching === true && NEGATIVE_CACHEABLE_STATUSES.includes(response.status));
  if (!cacheable) return fail('status', `status ${response.status} is not cacheable here`);
  if (hasHeader(response.headers, 'set-cookie')) return fail('set-cookie', 'the response sets a cookie');
  if (parseVary(headerString(response.headers, 'vary')).any)
    return fail('vary-star', 'the response has Vary: *');
  const blocker = cacheControlBlocker(
    parseCacheControl(headerString(response.headers, 'cache-control')),
    options.scope,
  );
  if (blocker !== undefined) {
    const why = blocker === 'private' ? ' on a route that is not private' : '';
    return fail(blocker, `the response has Cache-Control: ${blocker}${why}`);
  }
  return { ok: true };
}
