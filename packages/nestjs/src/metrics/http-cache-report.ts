import type { StrataEvents } from '@strata/core/internal';

/** What is reported of one answer: the request, the status sent and its `X-Cache` value. */
interface ReportedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, unknown>>;
}

/**
 * Emits `http:response` for an answer `HttpCacheInterceptor` sends from or into the cache (the
 * interceptor's one call into observability). Nothing is built when nobody listens.
 */
export function reportHttpCacheAnswer(
  events: StrataEvents,
  req: { readonly method: string },
  answer: ReportedAnswer,
): void {
  if (!events.has('http:response')) return;
  const xCache = answer.headers['x-cache'];
  const result = xCache === 'HIT' ? 'hit' : xCache === 'STALE' ? 'stale' : 'miss';
  events.emit('http:response', {
    route: routePattern(req),
    method: req.method.toUpperCase(),
    result,
    notModified: answer.status === 304,
  });
}

/**
 * The route's path pattern (`/products/:id`), never the URL, so the metric's label values stay
 * as few as the routes: Express keeps it on `req.route.path`, Fastify on `req.routeOptions.url`.
 */
export function routePattern(req: object): string {
  const express = (req as { route?: { path?: unknown } }).route?.path;
  if (typeof express === 'string') return express;
  const fastify = (req as { routeOptions?: { url?: unknown } }).routeOptions?.url;
  if (typeof fastify === 'string') return fastify;
  return 'unknown';
}
