/**
 * Cache keys of HTTP responses, after the two-stage lookup of RFC 9111 §4.1:
 *
 * - the primary key names what the handler sees: scheme, `Host` name and effective port, the
 *   path as received, the query as the adapter parsed it, the route, its scope and the per-user
 *   part; every field length-prefixed, so that no request can produce another request's key;
 * - the variant key names one representation of it: the values, in the current request, of the
 *   headers the stored response listed in `Vary`.
 *
 * It also guards against cache poisoning: request headers that can change a response without being
 * part of the key (`X-Forwarded-Host`, …) either enter the key or make the request bypass the cache.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { type HeaderSource, headerString, splitList } from './http-headers.js';
import { queryKey } from './query-key.js';
import { canonicalPath, type TargetBypassReason, targetPath } from './request-target.js';

/** The scheme of a request, as the server received it. */
export type HttpScheme = 'http' | 'https';

/** What the primary key is built from: what the handler sees of the request. */
export interface PrimaryKeyInput {
  /** The scheme the server sees (TLS or not). */
  readonly scheme: HttpScheme;
  /** The `Host` header (HTTP/1.1) or `:authority` (HTTP/2); absent on HTTP/1.0. */
  readonly host: string | undefined;
  /** The request target as received: path and query, not decoded (`req.originalUrl`, `req.raw.url`). */
  readonly target: string;
  /** The query as the adapter parsed it (`req.query`); `undefined` when it parsed none. */
  readonly query: unknown;
  /** The route that answers (`HttpCacheRoute.id`): two routes never share an entry. */
  readonly route: string;
  /** The route's scope (`public`, `private`, `shared-default`). */
  readonly scope: string;
  /** The per-user and keyed-header part (a digest), `''` when there is none. */
  readonly personal: string;
}

/** Why a request has no primary key (and bypasses the cache). */
export type PrimaryKeyBypassReason = TargetBypassReason | 'invalid-host' | 'unkeyable-query';

/** The primary key, or why the request cannot have one (and must bypass the cache). */
export type PrimaryKeyResult =
  | {
      readonly ok: true;
      readonly key: string;
      /** `<scheme>://<host>:<port><canonical path>`: what the path tag names (path-invalidation.ts). */
      readonly resource: string;
    }
  | { readonly ok: false; readonly reason: PrimaryKeyBypassReason };

/** A `Host` split into its lowercase name and effective port. */
export interface HostParts {
  /** Lowercase name or IP literal; `''` without a `Host`. */
  readonly name: string;
  /** The port given, else the scheme's default (80, 443). */
  readonly port: number;
}

// RFC 3986 host: an IP literal in brackets, or a reg-name / IPv4 (unreserved, pct-encoded, sub-delims).
const HOST_PATTERN = /^(\[[0-9a-f:.]+\]|[a-z0-9\-._~%!$&'()*+,;=]*)(?::(\d*))?$/;

/** The port a scheme uses when `Host` names none. */
export function defaultPort(scheme: HttpScheme): number {
  return scheme === 'https' ? 443 : 80;
}

/**
 * Splits `Host` into its lowercase name and effective port (`x` and `x:80` are one on http, and
 * `x:443` is another), or `null` for a value that is not a host. A `Host` with `/`, `?`, `@` or
 * spaces could otherwise make one resource's key equal another's.
 */
export function parseHost(host: string | undefined, scheme: HttpScheme): HostParts | null {
  if (host === undefined) return { name: '', port: defaultPort(scheme) };
  // An app answers a handful of hosts: remember the last ones (per scheme) instead of re-parsing.
  const known = hostCache[scheme];
  const cached = known.get(host);
  if (cached !== undefined) return cached;
  const parsed = parseHostValue(host, scheme);
  if (known.size >= HOST_CACHE_SIZE) known.clear();
  known.set(host, parsed);
  return parsed;
}

/** How many `Host` values {@link parseHost} remembers per scheme (a flood of others only clears it). */
const HOST_CACHE_SIZE = 64;
const hostCache: Record<HttpScheme, Map<string, HostParts | null>> = { http: new Map(), https: new Map() };

function parseHostValue(host: string, scheme: HttpScheme): HostParts | null {
  const match = HOST_PATTERN.exec(host.trim().toLowerCase());
  if (match === null) return null;
  const digits = match[2];
  if (digits === undefined || digits === '') return { name: match[1] ?? '', port: defaultPort(scheme) };
  // `x:0443` is port 443 to a browser but another `Host` to the handler: not worth keying.
  if (digits.length > 5 || (digits.length > 1 && digits.startsWith('0'))) return null;
  const port = Number(digits);
  return port <= 65_535 ? { name: match[1] ?? '', port } : null;
}

/** Keys longer than this are replaced by their digest (see {@link primaryKey}). */
export const MAX_READABLE_KEY_LENGTH = 256;

/** One field: its length, `:`, itself. Fields so encoded read back one way, whatever they hold. */
const field = (value: string): string => `${value.length}:${value}`;

/**
 * The primary key of a request, or why it must bypass the cache:
 *
 * `h2|<scheme>|<host>|<port>|<route>|<scope>|<path>|<query>|<personal>`, each field written as
 * `<length>:<value>` (the host `-` when the request has no `Host`). The path is as received (see request-target.ts), the query the canonical
 * text of the parsed one (query-key.ts). A key longer than {@link MAX_READABLE_KEY_LENGTH} becomes
 * `h2#` + the base64url SHA-256 of it, so the stack never has to shorten it.
 *
 * @example
 * ```ts
 * primaryKey({ scheme: 'http', host: 'Shop.Example', target: '/p?b=2&a=1', query: { b: '2', a: '1' },
 *   route: 'ProductController.list', scope: 'public', personal: '' });
 * // key: 'h2|4:http|12:shop.example|2:80|22:ProductController.list|6:public|2:/p|17:(1'a:1'1,1'b:1'2)|0:'
 * ```
 */
export function primaryKey(input: PrimaryKeyInput): PrimaryKeyResult {
  // A parsed query is keyed by its canonical text, read on every request (what the handler sees).
  const query = input.query === undefined ? undefined : queryKey(input.query);
  const known = knownKeys.get(input.target);
  if (
    known !== undefined &&
    query !== undefined &&
    known.query === query &&
    known.host === input.host &&
    known.scheme === input.scheme &&
    known.route === input.route &&
    known.scope === input.scope &&
    known.personal === input.personal
  ) {
    return known.result;
  }
  const result = buildPrimaryKey(input, query);
  if (result.ok && query !== undefined) {
    if (knownKeys.size >= KNOWN_KEYS_SIZE) knownKeys.clear();
    const { scheme, host, route, scope, personal } = input;
    knownKeys.set(input.target, {
      scheme,
      host,
      query,
      route,
      scope,
      personal,
      result: Object.freeze(result),
    });
  }
  return result;
}

/**
 * The last keys built, by request target, with every input they were built from. The key is a
 * function of those inputs alone, so a request whose inputs are all equal (`===`) gets the key
 * already built instead of parsing and joining the same fields again (the same string, too: its
 * hash is already known to the maps it is looked up in). Only keys of parsed queries, whose text
 * is compared. Bounded: a flood of other targets only clears it.
 */
const knownKeys = new Map<string, KnownKey>();
const KNOWN_KEYS_SIZE = 1_000;

interface KnownKey {
  readonly scheme: HttpScheme;
  readonly host: string | undefined;
  /** The canonical text of the parsed query. */
  readonly query: string;
  readonly route: string;
  readonly scope: string;
  readonly personal: string;
  readonly result: PrimaryKeyResult;
}

/**
 * {@link primaryKey}, `parsedQuery` the canonical text of `input.query` (`undefined` when it has
 * none or is unkeyable).
 */
function buildPrimaryKey(input: PrimaryKeyInput, parsedQuery: string | undefined): PrimaryKeyResult {
  const target = targetPath(input.target);
  if (!target.ok) return target;
  const host = parseHost(input.host, input.scheme);
  if (host === null) return { ok: false, reason: 'invalid-host' };
  // An adapter that parsed no query gives nothing to key it on, unless there was none to parse.
  const query = input.query !== undefined ? parsedQuery : target.query.length === 0 ? '()' : undefined;
  if (query === undefined) return { ok: false, reason: 'unkeyable-query' };
  const port = String(host.port);
  // No `Host` (HTTP/1.0) and an empty one give the handler `undefined` and `''`: `-` is no field.
  const name = input.host === undefined ? '-' : field(host.name);
  const key = `h2|${field(input.scheme)}|${name}|${field(port)}|${field(input.route)}|${field(
    input.scope,
  )}|${field(target.path)}|${field(query)}|${field(input.personal)}`;
  const resource = `${input.scheme}://${host.name}:${port}${canonicalPath(target.path)}`;
  if (key.length <= MAX_READABLE_KEY_LENGTH) return { ok: true, key, resource };
  return { ok: true, key: `h2#${createHash('sha256').update(key).digest('base64url')}`, resource };
}

/** A target in absolute form (`http://a.test/x?y`): what follows the authority is its path and query. */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/is;

/**
 * The resource an unsafe request (POST, PUT, PATCH, DELETE) changes, as the path tag names it, or
 * `null` for an invalid `Host`. Any target is accepted: its path is cut at `?` or `#` and made
 * canonical (request-target.ts), so that it names every spelling of the path. A target in absolute
 * form counts by its path: both adapters route `POST http://a.test/x` to the handler of `/x`, whose
 * cached GETs must go. The host stays the `Host` header's, which is what the adapters and the
 * handler read as the host (and what the GETs were keyed on).
 */
export function unsafeRequestResource(
  scheme: HttpScheme,
  host: string | undefined,
  target: string,
): string | null {
  const parts = parseHost(host, scheme);
  if (parts === null) return null;
  const path = ABSOLUTE_FORM.exec(target)?.[1] ?? target;
  return `${scheme}://${parts.name}:${parts.port}${canonicalPath(path)}`;
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
