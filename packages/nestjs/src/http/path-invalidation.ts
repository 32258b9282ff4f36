/**
 * Invalidation by unsafe methods: a 2xx answer to a POST, PUT, PATCH or DELETE drops every cached
 * GET of the same path (every query string and variant), through the path tag they all carry.
 *
 * @module
 */
import type { CallHandler } from '@nestjs/common';
import type { CacheStack } from '@strata/core';
import { mergeMap, type Observable } from 'rxjs';
import { primaryKey } from './http-cache-key.js';
import { type ExchangeRequest, requestTarget } from './http-exchange.js';
import { headerString } from './http-headers.js';

/** Tag every cached GET of a path carries: a 2xx POST/PUT/PATCH/DELETE to the path drops them all. */
export function httpPathTag(hostAndPath: string): string {
  return `http:path:${hostAndPath}`;
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
        const target = requestTarget(req);
        const mark = target.indexOf('?');
        const primary = primaryKey({
          host: headerString(req.headers, 'host'),
          url: mark === -1 ? target : target.slice(0, mark),
        });
        // Awaited before the answer is sent: the client's next GET must not see the old page.
        if (answered >= 200 && answered < 300 && primary.ok) {
          await this.stack.invalidateTags([httpPathTag(primary.key)]);
        }
        return value;
      }),
    );
  }
}
