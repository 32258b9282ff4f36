/**
 * Answering a conditional GET or HEAD from the cache with `304 Not Modified` (RFC 9110 §13.1.2,
 * §13.2.2 and §15.4.5): when to, and which stored headers go with it.
 *
 * @module
 */
import { ifNoneMatchMatches } from './etag.js';

/**
 * The headers a 304 carries when a 200 would have (RFC 9110 §15.4.5). Nothing else: no content
 * headers (`Content-Type`, `Content-Length`, `Content-Encoding`, …), and no `Last-Modified`, which
 * the RFC allows only to help a cache without an `ETag`, and ours always has one.
 */
export const NOT_MODIFIED_HEADERS: readonly string[] = Object.freeze([
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
]);

/**
 * The stored headers a 304 must carry (names lowercase, as stored). The caller adds what it adds
 * to every hit (`Age`, `X-Cache`) and sends no body.
 */
export function notModifiedHeaders(
  stored: Readonly<Record<string, string | readonly string[]>>,
): Record<string, string | string[]> {
  const headers: [string, string | string[]][] = [];
  for (const name of NOT_MODIFIED_HEADERS) {
    const value = stored[name];
    if (value !== undefined) headers.push([name, typeof value === 'string' ? value : [...value]]);
  }
  return Object.fromEntries(headers);
}

/** What {@link isNotModified} compares. */
export interface NotModifiedInput {
  /** The request method, any case. */
  readonly method: string;
  /** The request's `If-None-Match`, repeated lines joined with `,`. */
  readonly ifNoneMatch: string | undefined;
  /** The stored response's status. */
  readonly status: number;
  /** The stored response's `ETag`. */
  readonly etag: string;
}

/**
 * True when a stored response should be answered with 304: a GET or HEAD whose `If-None-Match`
 * matches the stored `ETag` weakly, for a stored 2xx. Preconditions are ignored for other
 * statuses (RFC 9110 §13.2.1: a cached 301 or 404 is sent as it is).
 */
export function isNotModified(input: NotModifiedInput): boolean {
  const method = input.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (input.status < 200 || input.status > 299) return false;
  return ifNoneMatchMatches(input.ifNoneMatch, input.etag);
}
