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
 * Runs the invalidations of unsafe requests and counts them: {@link PathInvalidations.count} is
 * bumped before and after each one. A load that saw it change while its handler ran may have
 * read the old data, so it does not store its response (the "no stale sets" rule of the core, for
 * the writes that go through this instance).
 */
export class PathInvalidations {
  private bumps = 0;

  constructor(private readonly stack: CacheStack) {}

  /** Changes whenever an invalidation starts or ends. */
  get count(): number {
    return this.bumps;
  }

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
          this.bumps++;
          try {
            await this.stack.invalidateTags([httpPathTag(primary.key)]);
          } finally {
            this.bumps++;
          }
        }
        return value;
      }),
    );
  }
}
