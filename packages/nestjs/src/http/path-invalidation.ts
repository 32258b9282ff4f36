/**
 * Invalidation by unsafe methods: a 2xx answer to a POST, PUT, PATCH or DELETE drops every cached
 * GET of the same path (every query string and variant), through the path tag they all carry.
 *
 * @module
 */
import type { CallHandler } from '@nestjs/common';
import { type CacheStack, InvalidKeyError } from '@strata/core';
import { mergeMap, type Observable } from 'rxjs';
import { unsafeRequestResource } from './http-cache-key.js';
import { type ExchangeRequest, requestScheme, requestTarget } from './http-exchange.js';
import { headerString } from './http-headers.js';

/** The path tag of a resource as `primaryKey` and `unsafeRequestResource` give it. */
export function resourcePathTag(resource: string): string {
  return `http:path:${resource}`;
}

const ABSOLUTE_URL = /^(https?):\/\/([^/?#]*)(.*)$/i;

/**
 * The tag every cached GET of a URL's path carries (every query string, variant and user): a 2xx
 * POST/PUT/PATCH/DELETE to the path drops them all, and so does invalidating this tag. The URL
 * is absolute, since scheme, host and port are part of it; its path is made canonical as the
 * cache does (`%34%32` is `42`, case and a trailing `/` do not count), and its query is ignored.
 *
 * @throws InvalidKeyError when `url` is not an absolute `http:` or `https:` URL with a valid host.
 * @example
 * ```ts
 * await cache.invalidateTags([httpPathTag('https://shop.example/products/42')]);
 * ```
 */
export function httpPathTag(url: string): string {
  const match = ABSOLUTE_URL.exec(url);
  const scheme = match?.[1]?.toLowerCase() === 'https' ? 'https' : 'http';
  const resource = match === null ? null : unsafeRequestResource(scheme, match[2], match[3] || '/');
  if (resource === null) {
    throw new InvalidKeyError('tag', url, 'httpPathTag takes an absolute http(s) URL with a valid host');
  }
  return resourcePathTag(resource);
}

/**
 * Runs the invalidations of unsafe requests. A GET whose handler ran while one landed does not
 * keep its page: the page is stored under a ticket taken before the handler ran, so an
 * invalidation after it (by this instance or another) drops it at once.
 */
export class PathInvalidations {
  constructor(private readonly stack: CacheStack) {}

  /**
   * The handler's answer, once the cached GETs of its path are dropped when `status` (the
   * route's status, or that of a returned web `Response`) is a 2xx.
   */
  after(req: ExchangeRequest, status: number, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        const answered = value instanceof Response ? value.status : status;
        const resource = unsafeRequestResource(
          requestScheme(req),
          headerString(req.headers, 'host'),
          requestTarget(req),
        );
        // Awaited before the answer is sent: the client's next GET must not see the old page.
        if (answered >= 200 && answered < 300 && resource !== null) {
          await this.stack.invalidateTags([resourcePathTag(resource)]);
        }
        return value;
      }),
    );
  }
}
