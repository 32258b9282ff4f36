/**
 * `Cache-Control` (RFC 9111 §5.2): parsing a header into directives, building the header a route's
 * policy emits, and the directives of a handler's response that forbid storing it.
 *
 * Written here rather than taken from a package: the grammar is small (tokens and quoted strings),
 * the popular parsers either drop quoted field lists (`private="set-cookie"`) or come inside a whole
 * client-cache policy engine (`http-cache-semantics`) whose freshness model is not ours (our TTL
 * comes from the route, not from the response).
 *
 * @module
 */
import { StrataConfigError } from '@strata/core';

/**
 * Parsed directives: lowercase name → `true` for a bare directive, or its value (quotes removed,
 * escapes resolved). The first occurrence of a repeated directive wins.
 */
export type CacheControlDirectives = ReadonlyMap<string, string | true>;

const SEPARATOR = /[\s,]/;

/**
 * Parses a `Cache-Control` value (repeated lines already joined with `,`). Unknown directives are
 * kept; malformed pieces are skipped rather than failing the whole header.
 *
 * @example
 * ```ts
 * parseCacheControl('Max-Age=60, private="Set-Cookie, X-Id"');
 * // Map { 'max-age' => '60', 'private' => 'Set-Cookie, X-Id' }
 * ```
 */
export function parseCacheControl(value: string | undefined): CacheControlDirectives {
  const directives = new Map<string, string | true>();
  if (value === undefined) return directives;
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && SEPARATOR.test(value.charAt(i))) i++;
    const start = i;
    while (i < n && value.charAt(i) !== '=' && !SEPARATOR.test(value.charAt(i))) i++;
    const name = value.slice(start, i).toLowerCase();
    while (i < n && (value.charAt(i) === ' ' || value.charAt(i) === '\t')) i++;
    let argument: string | true = true;
    if (value.charAt(i) === '=') {
      i++;
      while (i < n && (value.charAt(i) === ' ' || value.charAt(i) === '\t')) i++;
      if (value.charAt(i) === '"') {
        let text = '';
        i++;
        while (i < n && value.charAt(i) !== '"') {
          if (value.charAt(i) === '\\' && i + 1 < n) i++;
          text += value.charAt(i);
          i++;
        }
        i++; // the closing quote (or the end of an unterminated string)
        argument = text;
      } else {
        const valueStart = i;
        while (i < n && !SEPARATOR.test(value.charAt(i))) i++;
        argument = value.slice(valueStart, i);
      }
    }
    // Skip whatever follows a malformed piece up to the next comma.
    while (i < n && value.charAt(i) !== ',') i++;
    if (name.length > 0 && !directives.has(name)) directives.set(name, argument);
  }
  return directives;
}

/**
 * A delta-seconds directive (`max-age`, `s-maxage`, `stale-while-revalidate`, …) as a number of
 * seconds; `undefined` when absent or not a non-negative integer (a quoted number is accepted, as
 * RFC 9111 §1.2.2 asks of recipients).
 */
export function directiveSeconds(directives: CacheControlDirectives, name: string): number | undefined {
  const value = directives.get(name);
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  // Values past 2^31 mean "a very long time" (RFC 9111 §1.2.2).
  return Math.min(Number(value), 2_147_483_648);
}

/**
 * The field names of a qualified `private="…"` or `no-cache="…"`, lowercased; `undefined` when
 * the directive is absent or unqualified.
 */
export function directiveFieldNames(directives: CacheControlDirectives, name: string): string[] | undefined {
  const value = directives.get(name);
  if (typeof value !== 'string') return undefined;
  return value
    .split(',')
    .map((field) => field.trim().toLowerCase())
    .filter((field) => field.length > 0);
}

/**
 * Who may share a cached response: `public` (any cache, even for authenticated requests,
 * RFC 9111 §3.5), `private` (only the user's own browser; our server cache keys it per user), or
 * `shared-default` (shared caches may store it, but not for authenticated requests).
 */
export type HttpCacheScope = 'public' | 'private' | 'shared-default';

/** The parts of a route's policy the emitted `Cache-Control` depends on. Times in ms. */
export interface CacheControlPolicy {
  /** Who may share the response. */
  readonly scope: HttpCacheScope;
  /** Freshness for every cache: `max-age`. */
  readonly ttlMs: number;
  /** Freshness for shared caches (CDNs): `s-maxage`. Not emitted for `private`. */
  readonly sMaxAgeMs?: number;
  /** `stale-while-revalidate` (RFC 5861). */
  readonly staleWhileRevalidateMs?: number;
  /** `stale-if-error` (RFC 5861). */
  readonly staleIfErrorMs?: number;
}

function seconds(option: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new StrataConfigError(option, ms, 'must be a finite number of ms >= 0');
  return Math.floor(ms / 1000);
}

/**
 * The `Cache-Control` a route emits, seconds rounded down. Throws {@link StrataConfigError}
 * (`E_CONFIG`) for a negative or non-finite time.
 *
 * @example
 * ```ts
 * buildCacheControl({ scope: 'public', ttlMs: 30_000, staleWhileRevalidateMs: 60_000 });
 * // 'public, max-age=30, stale-while-revalidate=60'
 * ```
 */
export function buildCacheControl(policy: CacheControlPolicy): string {
  const parts: string[] = [];
  if (policy.scope !== 'shared-default') parts.push(policy.scope);
  parts.push(`max-age=${seconds('ttl', policy.ttlMs)}`);
  if (policy.sMaxAgeMs !== undefined && policy.scope !== 'private') {
    parts.push(`s-maxage=${seconds('sMaxAge', policy.sMaxAgeMs)}`);
  }
  if (policy.staleWhileRevalidateMs !== undefined) {
    parts.push(`stale-while-revalidate=${seconds('staleWhileRevalidate', policy.staleWhileRevalidateMs)}`);
  }
  if (policy.staleIfErrorMs !== undefined) {
    parts.push(`stale-if-error=${seconds('staleIfError', policy.staleIfErrorMs)}`);
  }
  return parts.join(', ');
}

/** The response directive that forbids storing, in the order they are checked. */
export type CacheControlBlocker = 'no-store' | 'private' | 'no-cache';

/**
 * The directive of a handler's response that forbids our cache from storing it, or `undefined`.
 *
 * - `no-store`: never stored.
 * - `private` (qualified or not): stored only on a `private` route, whose key is per user. A
 *   qualified `private="x"` would allow storing the rest without `x`; we do not split responses.
 * - `no-cache` (qualified or not): a stored copy may only be served after revalidation with the
 *   origin, and our origin is the handler itself, so storing it would gain nothing.
 */
export function cacheControlBlocker(
  directives: CacheControlDirectives,
  scope: HttpCacheScope,
): CacheControlBlocker | undefined {
  if (directives.has('no-store')) return 'no-store';
  if (directives.has('private') && scope !== 'private') return 'private';
  if (directives.has('no-cache')) return 'no-cache';
  return undefined;
}

/** True when nothing in the response's `Cache-Control` forbids storing it (see {@link cacheControlBlocker}). */
export function isStorableResponse(directives: CacheControlDirectives, scope: HttpCacheScope): boolean {
  return cacheControlBlocker(directives, scope) === undefined;
}
