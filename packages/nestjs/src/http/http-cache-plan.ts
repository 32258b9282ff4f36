/**
 * Which key and tags a request uses in the HTTP cache, or why it bypasses it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { primaryKey } from './http-cache-key.js';
import { checkUnkeyedHeaders, type UnkeyedHeaderDecision } from './unkeyed-headers.js';
import type { HttpCacheRoute } from './http-cache-routes.js';
import { type ExchangeRequest, requestScheme, requestTarget } from './http-exchange.js';
import { headerString } from './http-headers.js';
import { resourcePathTag } from './path-invalidation.js';
import { checkCacheableRequest } from './storable-response.js';

/** What one request needs to use the cache: its primary key and the tags of what it stores. */
export interface HttpCachePlan {
  /** The primary key (http-cache-key.ts), with a digest of the per-user and keyed-header parts when there are. */
  readonly primary: string;
  /** The path tag and the route's tags. */
  readonly tags: readonly string[];
  /** The route's own tags (what `cdnTagHeaders` sends to a CDN). */
  readonly routeTags?: readonly string[];
}

/** The module-wide settings a plan depends on. */
export interface PlanSettings {
  readonly publicCookies: ReadonlySet<string>;
  readonly unkeyedHeaders: Readonly<Record<string, UnkeyedHeaderDecision>> | undefined;
}

/**
 * The key and tags of a request, or `undefined` when it must bypass the cache: a personal
 * request on a shared route, a header that could poison the cache, an invalid `Host`, a target
 * the adapters could read differently (http-cache-key.ts), or a private route's `varyBy` giving
 * no user.
 */
export function planCacheRequest(
  req: ExchangeRequest,
  route: HttpCacheRoute,
  settings: PlanSettings,
): HttpCachePlan | undefined {
  const options = { scope: route.scope, publicCookies: settings.publicCookies };
  if (!checkCacheableRequest(req, options).ok) return undefined;
  const unkeyed = checkUnkeyedHeaders(req.headers, settings.unkeyedHeaders);
  if (!unkeyed.ok) return undefined;
  let user = '';
  if (route.policy.varyBy !== undefined) {
    const id = route.policy.varyBy(req);
    if (typeof id !== 'string' || id.length === 0) return undefined;
    user = id;
  }
  // A digest: a user id or a header value stays out of the key's readable part. The route is in
  // it too, so one user's digest names nothing on another route.
  const personal =
    unkeyed.keyPart.length === 0 && user.length === 0
      ? ''
      : createHash('sha256')
          .update(JSON.stringify([route.id, unkeyed.keyPart, user]))
          .digest('base64url');
  const primary = primaryKey({
    scheme: requestScheme(req),
    host: headerString(req.headers, 'host'),
    target: requestTarget(req),
    query: req.query,
    route: route.id,
    scope: route.scope,
    personal,
  });
  if (!primary.ok) return undefined;
  const routeTags = route.policy.tags?.(req) ?? NO_TAGS;
  const pathTag = resourcePathTag(primary.resource);
  const tags = routeTags.length === 0 ? [pathTag] : [pathTag, ...routeTags];
  return { primary: primary.key, tags, routeTags };
}

const NO_TAGS: readonly string[] = Object.freeze([]);
