/**
 * Cache keys of HTTP responses, after the two-stage lookup of RFC 9111 §4.1:
 *
 * - the primary key names the resource: `Host` (lowercased, default port dropped), the path as
 *   received and the query with its parameters in a stable order;
 * - the variant key names one representation of it: the values, in the current request, of the
 *   headers the stored response listed in `Vary`.
 *
 * It also guards against cache poisoning: request headers that can change a response without being
 * part of the key (`X-Forwarded-Host`, …) either enter the key or make the request bypass the cache.
 *
 * @module
 */
import { type HeaderSource, headerString, splitList } from './http-headers.js';

/** What the primary key is built from. */
export interface PrimaryKeyInput {
  /** The `Host` header (HTTP/1.1) or `:authority` (HTTP/2); absent on HTTP/1.0. */
  readonly host: string | undefined;
  /** The request target as received: path and query, not decoded (`req.originalUrl`, `req.raw.url`). */
  readonly url: string;
  /** The scheme the server sees; when given, only its default port is dropped, else both 80 and 443. */
  readonly scheme?: 'http' | 'https';
}

/** The primary key, or why the request cannot have one (and must bypass the cache). */
export type PrimaryKeyResult =
  { readonly ok: true; readonly key: string } | { readonly ok: false; readonly reason: 'invalid-host' };

// RFC 3986 host: an IP literal in brackets, or a reg-name / IPv4 (unreserved, pct-encoded, sub-delims).
const HOST_PATTERN = /^(\[[0-9a-f:.]+\]|[a-z0-9\-._~%!$&'()*+,;=]*)(?::(\d*))?$/;

/**
 * Normalizes `Host`: lowercase, default port dropped (`example.com:80` = `example.com`), and `null`
 * for a value that is not a host. A `Host` with `/`, `?`, `@` or spaces could otherwise make one
 * resource's key equal another's (`Host: a.com/admin` + `/x` against `Host: a.com` + `/admin/x`).
 */
export function normalizeHost(host: string | undefined, scheme?: 'http' | 'https'): string | null {
  if (host === undefined) return '';
  const match = HOST_PATTERN.exec(host.trim().toLowerCase());
  if (match === null) return null;
  const name = match[1] ?? '';
  const port = match[2];
  if (port === undefined || port === '') return name;
  const isDefault =
    scheme === undefined ? port === '80' || port === '443' : port === (scheme === 'https' ? '443' : '80');
  return isDefault ? name : `${name}:${port}`;
}

/**
 * The query string with its parameters stably sorted by name (compared as received, code unit by
 * code unit). Repeated parameters are all kept, in the order they came: `?tag=b&tag=a` and
 * `?tag=a&tag=b` parse to different arrays, so they stay different keys. Empty pieces (`a=1&&b=2`,
 * a lone `?`) are dropped, as every query parser does. Nothing is decoded.
 */
export function normalizeQuery(query: string): string {
  const params = query.split('&').filter((param) => param.length > 0);
  const named = params.map((param, index) => {
    const eq = param.indexOf('=');
    return { name: eq === -1 ? param : param.slice(0, eq), param, index };
  });
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index));
  return named.map((entry) => entry.param).join('&');
}

/**
 * The primary key of a request: `host` + path + (`?` + sorted query, when there is one).
 *
 * @example
 * ```ts
 * primaryKey({ host: 'Shop.Example:80', url: '/p?b=2&a=1' }); // { ok: true, key: 'shop.example/p?a=1&b=2' }
 * ```
 */
export function primaryKey(input: PrimaryKeyInput): PrimaryKeyResult {
  const host = normalizeHost(input.host, input.scheme);
  if (host === null) return { ok: false, reason: 'invalid-host' };
  // A fragment is never sent, but if one is, it must not reach the key either.
  const hash = input.url.indexOf('#');
  const target = hash === -1 ? input.url : input.url.slice(0, hash);
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  const query = mark === -1 ? '' : normalizeQuery(target.slice(mark + 1));
  return { ok: true, key: query.length === 0 ? host + path : `${host}${path}?${query}` };
}

/** The header names of a `Vary` value: lowercase, unique, sorted; `any` when it lists `*`. */
export interface VaryNames {
  readonly names: readonly string[];
  /** `Vary: *`: the response depends on more than headers, so it must not be stored. */
  readonly any: boolean;
}

/** Parses a `Vary` header (any case, spaces, repeated lines). */
export function parseVary(value: string | undefined): VaryNames {
  const names = new Set<string>();
  let any = false;
  for (const member of splitList(value)) {
    if (member === '*') any = true;
    else names.add(member.toLowerCase());
  }
  return { names: [...names].sort(), any };
}

/**
 * A request header's value as the variant key compares it: repeated lines joined, trimmed, runs
 * of whitespace collapsed to one space. Case is kept (whether it matters depends on the header);
 * `null` when the header is absent, so that absent and empty stay different.
 */
export function normalizeHeaderValue(source: HeaderSource, name: string): string | null {
  const value = headerString(source, name);
  return value === undefined ? null : value.trim().replace(/\s+/g, ' ');
}

/**
 * The variant key: the names recorded from the stored response's `Vary` and the current request's
 * normalized values of those headers, as one unambiguous string (`''` when nothing varies).
 *
 * @param varyNames - the lowercase names from {@link parseVary}, as the primary entry recorded them.
 * @param request - the current request's headers.
 */
export function variantKey(varyNames: readonly string[], request: HeaderSource): string {
  if (varyNames.length === 0) return '';
  const names = [...new Set(varyNames.map((name) => name.toLowerCase()))].sort();
  return JSON.stringify(names.map((name) => [name, normalizeHeaderValue(request, name)]));
}

/** What to do with a request that carries an unkeyed header: key on its value, or skip the cache. */
export type UnkeyedHeaderDecision = 'key' | 'bypass';

/**
 * Request headers that frameworks and proxies use to rebuild the URL, scheme, host or method, so a
 * response can depend on them while the key does not. `bypass` for all: a request carrying one is
 * neither answered from the cache nor stored. Behind a proxy that sets one on every request, choose
 * `key` for it instead (its value is then the same for everyone), or caching never happens.
 */
export const DEFAULT_UNKEYED_HEADERS: Readonly<Record<string, UnkeyedHeaderDecision>> = Object.freeze({
  forwarded: 'bypass',
  'x-forwarded-host': 'bypass',
  'x-forwarded-proto': 'bypass',
  'x-forwarded-prefix': 'bypass',
  'x-forwarded-port': 'bypass',
  'x-forwarded-scheme': 'bypass',
  'x-forwarded-server': 'bypass',
  'x-host': 'bypass',
  'x-original-url': 'bypass',
  'x-rewrite-url': 'bypass',
  'x-http-method-override': 'bypass',
  'x-http-method': 'bypass',
  'x-method-override': 'bypass',
});

/** The outcome of {@link checkUnkeyedHeaders}. */
export type UnkeyedHeadersResult =
  | {
      readonly ok: true;
      /** Extra key part from the `key` headers present (`''` when none is): append it to the key. */
      readonly keyPart: string;
    }
  | {
      readonly ok: false;
      readonly reason: 'unkeyed-header';
      /** The header that forced the bypass. */
      readonly header: string;
    };

/** Each policy object's decisions by lowercase name, built on its first use (per request, it cost ~2 µs). */
const policyDecisions = new WeakMap<object, ReadonlyMap<string, UnkeyedHeaderDecision>>();

function decisionsOf(
  policy: Readonly<Record<string, UnkeyedHeaderDecision>>,
): ReadonlyMap<string, UnkeyedHeaderDecision> {
  let decisions = policyDecisions.get(policy);
  if (decisions === undefined) {
    // Lowercased in order, so `{ ...DEFAULT_UNKEYED_HEADERS, 'X-Forwarded-Host': 'key' }` overrides.
    const built = new Map<string, UnkeyedHeaderDecision>();
    for (const [name, decision] of Object.entries(policy)) built.set(name.toLowerCase(), decision);
    policyDecisions.set(policy, built);
    decisions = built;
  }
  return decisions;
}

/**
 * Checks a request for unkeyed headers: any `bypass` header present (even empty) means bypass;
 * the `key` headers present give the extra key part.
 *
 * @param policy - header name (any case) → decision; extend the defaults with a spread:
 *   `{ ...DEFAULT_UNKEYED_HEADERS, 'x-forwarded-proto': 'key' }`. Read once per object (it is
 *   module configuration): later changes to the same object are not seen.
 */
export function checkUnkeyedHeaders(
  request: HeaderSource,
  policy: Readonly<Record<string, UnkeyedHeaderDecision>> = DEFAULT_UNKEYED_HEADERS,
): UnkeyedHeadersResult {
  const decisions = decisionsOf(policy);
  const keyed: [string, string][] = [];
  for (const [name, decision] of decisions) {
    const value = normalizeHeaderValue(request, name);
    if (value === null) continue;
    if (decision === 'bypass') return { ok: false, reason: 'unkeyed-header', header: name };
    keyed.push([name, value]);
  }
  if (keyed.length === 0) return { ok: true, keyPart: '' };
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { ok: true, keyPart: JSON.stringify(keyed) };
}
