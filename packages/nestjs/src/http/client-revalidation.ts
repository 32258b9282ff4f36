/**
 * Whether a client asks not to be answered from a stored response (RFC 9111 §5.2.1, §5.4). Only
 * consulted on routes with `honorClientNoCache`: by default the server cache answers such
 * requests from the store, as a server-side cache exists to protect the app from its clients.
 *
 * @module
 */
import { directiveSeconds, parseCacheControl } from './cache-control.js';
import { type HeaderSource, headerString, splitList } from './http-headers.js';

/**
 * True when the request's `Cache-Control` has `no-cache` (RFC 9111 §5.2.1.4) or `max-age=0`
 * (§5.2.1.1: no stored response is fresh enough), or, when the request has no `Cache-Control`,
 * its `Pragma` has `no-cache` (§5.4: `Pragma` is ignored when `Cache-Control` is present).
 * Other request directives (`no-store`, `max-age` above 0, `min-fresh`, `max-stale`,
 * `only-if-cached`) are ignored.
 *
 * @example
 * ```ts
 * clientRequestsRevalidation({ 'cache-control': 'max-age=0' }); // true
 * clientRequestsRevalidation({ pragma: 'no-cache' });            // true
 * clientRequestsRevalidation({ 'cache-control': 'max-age=5', pragma: 'no-cache' }); // false
 * ```
 */
export function clientRequestsRevalidation(headers: HeaderSource): boolean {
  const cacheControl = headerString(headers, 'cache-control');
  if (cacheControl !== undefined) {
    const directives = parseCacheControl(cacheControl);
    return directives.has('no-cache') || directiveSeconds(directives, 'max-age') === 0;
  }
  return splitList(headerString(headers, 'pragma')).some(
    (directive) => directive.toLowerCase() === 'no-cache',
  );
}
