/**
 * The responses the interceptor sends: a miss built from the handler's value (serialized once,
 * with the headers the cache adds), and a hit replayed from a stored response.
 *
 * @module
 */
import { HttpException } from '@nestjs/common';
import { buildCacheControl, type HttpCacheScope } from './cache-control.js';
import { responseEtag } from './etag.js';
import { parseVary } from './http-cache-key.js';
import { type HeaderSource, type HeaderValue, headerString } from './http-headers.js';
import { type BytesAnswer, type ResponseBody, serializeBody } from './http-response-body.js';
import { isNotModified, notModifiedHeaders } from './not-modified.js';
import { representationFor, type StoredRepresentation } from './stored-representation.js';
import { ageSeconds, type StoredResponse } from './stored-response.js';

/** A handler's answer as bytes, with every header it goes out with. */
export interface CapturedResponse {
  readonly status: number;
  /** The handler's headers (lowercase) and {@link CapturedResponse.added}. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** What the cache adds: `Content-Type` when the handler set none, `ETag`, `Cache-Control`. */
  readonly added: Readonly<Record<string, string>>;
  readonly body: ResponseBody;
  readonly etag: string;
  /** The lowercase names of its `Vary` (`Vary: *` makes it unstorable, see storable-response.ts). */
  readonly varyNames: readonly string[];
}

/** What {@link captureResponse} needs. */
export interface CaptureInput {
  /** The handler's value (not a stream). */
  readonly value: unknown;
  readonly status: number;
  /** The response headers the handler (and Nest, and middleware) set so far. */
  readonly handlerHeaders: Readonly<Record<string, HeaderValue>>;
  /** The route's scope and freshness, for the `Cache-Control` it emits. */
  readonly scope: HttpCacheScope;
  readonly ttlMs: number;
  /** RFC 5861 windows emitted in `Cache-Control` when set. */
  readonly staleWhileRevalidateMs?: number;
  readonly staleIfErrorMs?: number;
  /** `s-maxage` emitted in `Cache-Control` when set (not on private routes). */
  readonly sMaxAgeMs?: number;
  /** Headers the cache adds as they are (CDN tag headers), unless the handler set them. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

/**
 * Serializes the handler's value once and completes its headers: `Content-Type` from the value
 * when the handler set none, its own `ETag` kept or a strong one over the bytes, and the route's
 * `Cache-Control` unless the handler set its own.
 */
export function captureResponse(input: CaptureInput): CapturedResponse {
  const body = serializeBody(input.value);
  // fromEntries defines own properties: a header named `__proto__` stays a header.
  const handlerHeaders: Record<string, HeaderValue> = Object.fromEntries(
    Object.entries(input.handlerHeaders).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const added: Record<string, string> = {};
  if (handlerHeaders['content-type'] === undefined && body.contentType !== undefined) {
    added['content-type'] = body.contentType;
  }
  const etag = responseEtag(headerString(handlerHeaders, 'etag'), body.body);
  added.etag = etag;
  if (handlerHeaders['cache-control'] === undefined) {
    added['cache-control'] = buildCacheControl({
      scope: input.scope,
      ttlMs: input.ttlMs,
      staleWhileRevalidateMs: input.staleWhileRevalidateMs,
      staleIfErrorMs: input.staleIfErrorMs,
      sMaxAgeMs: input.sMaxAgeMs,
    });
  }
  for (const [name, value] of Object.entries(input.extraHeaders ?? {})) {
    if (handlerHeaders[name] === undefined) added[name] = value;
  }
  const headers = { ...handlerHeaders, ...added };
  const varyNames = parseVary(headerString(headers, 'vary')).names;
  return { status: input.status, headers, added, body: body.body, etag, varyNames };
}

/** The request fields the answers depend on. */
export interface CacheableRequest {
  readonly method: string;
  readonly headers: HeaderSource;
}

function conditionalMatches(request: CacheableRequest, status: number, etag: string): boolean {
  const ifNoneMatch = headerString(request.headers, 'if-none-match');
  // Most requests are not conditional.
  if (ifNoneMatch === undefined) return false;
  return isNotModified({ method: request.method, ifNoneMatch, status, etag });
}

/**
 * The answer to a miss: the captured bytes with what the cache added and `X-Cache: MISS` (the
 * handler's own headers are already on the response object), or a 304 when `If-None-Match`
 * matches the new `ETag`.
 *
 * When the page was stored with content codings (`stored`), the miss goes out as a hit of it
 * would: in the representation the request's `Accept-Encoding` selects, with that
 * representation's `ETag` and `Content-Encoding`, and `Vary: Accept-Encoding`.
 */
export function missResponse(
  request: CacheableRequest,
  captured: CapturedResponse,
  stored?: StoredResponse,
): BytesAnswer {
  let added: Readonly<Record<string, string | readonly string[]>> = captured.added;
  let etag = captured.etag;
  let body = captured.body;
  if (stored?.bodyEncoding === 'coded') {
    const chosen = selectedRepresentation(request, stored);
    etag = chosen.etag;
    body = chosen.body;
    const coded: Record<string, string | readonly string[]> = { ...captured.added, etag };
    const vary = stored.headers.vary;
    if (vary !== undefined) coded.vary = vary;
    if (chosen.coding !== 'identity') coded['content-encoding'] = chosen.coding;
    added = coded;
  }
  if (conditionalMatches(request, captured.status, etag)) {
    const headers = { ...notModifiedHeaders(added), 'x-cache': 'MISS' };
    return { status: 304, headers, body: undefined };
  }
  const headers = { 'x-cache': 'MISS', ...added };
  headers['x-cache'] = 'MISS';
  return { status: captured.status, headers, body };
}

/** The representation of `stored` that `request` selects with its `Accept-Encoding`. */
export function selectedRepresentation(
  request: CacheableRequest,
  stored: StoredResponse,
): StoredRepresentation {
  return representationFor(stored, headerString(request.headers, 'accept-encoding'));
}

/**
 * The answer to a hit, in the representation the request's `Accept-Encoding` selects (see
 * stored-representation.ts): a 304 with the headers RFC 9110 §15.4.5 lists when `If-None-Match`
 * matches that representation's `ETag`, else the stored status, headers and exact bytes; both
 * with `Age` and `X-Cache: HIT` (`STALE` for a response served past its freshness). `now` (ms
 * since the epoch) gives the `Age`.
 */
export function replayResponse(
  request: CacheableRequest,
  stored: StoredResponse,
  cache: 'HIT' | 'STALE' = 'HIT',
  now: number = Date.now(),
): BytesAnswer {
  const age = String(ageSeconds(stored, now));
  // The representation the request's `Accept-Encoding` selects (identity for a page stored
  // without codings); `If-None-Match` is compared with its own `ETag`.
  const chosen = selectedRepresentation(request, stored);
  if (conditionalMatches(request, stored.status, chosen.etag)) {
    const headers = { ...notModifiedHeaders(chosen.headers), age, 'x-cache': cache };
    return { status: 304, headers, body: undefined };
  }
  // A spread, not a copy of each value: the stored record is never changed (it may be shared).
  // Listed first, then set again: V8 clones a record spread at the start of a literal fast, but
  // adding properties after the spread cost ~2 µs per hit here (measured).
  const headers = { age, 'x-cache': cache, ...chosen.headers };
  headers.age = age;
  headers['x-cache'] = cache;
  return { status: stored.status, headers, body: chosen.body };
}

/** The body Nest's exception filter would send for an `HttpException`. */
export function errorBody(error: HttpException): unknown {
  const response = error.getResponse();
  return typeof response === 'string' ? { statusCode: error.getStatus(), message: response } : response;
}
