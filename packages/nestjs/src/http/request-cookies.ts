/**
 * The `Cookie` request header as the HTTP cache reads it: which cookie names a request carries,
 * and whether every one of them is in the `publicCookies` allow-list. Shared routes fail closed:
 * a cookie the cache does not know may personalise the page, so it keeps the request off it.
 *
 * Parsed the way the apps parse it (the `cookie` package behind Express's `cookie-parser` and
 * `@fastify/cookie`): pairs separated by `;`, the name before the first `=`, spaces and tabs
 * around it ignored, names case-sensitive. Written here rather than calling that package: its
 * parser silently skips what it cannot read, and a piece skipped here could be read as a cookie by
 * another parser (a proxy, a later version), so anything unreadable must be reported instead.
 *
 * @module
 */
import { StrataConfigError } from '@strata/core';
import { type HeaderSource, readHeader } from './http-headers.js';

/** The cookie names of a `Cookie` header, or why the header is unreadable. */
export type CookieNames =
  | { readonly ok: true; readonly names: readonly string[] }
  | { readonly ok: false; readonly malformed: string };

/** A cookie name (RFC 6265 §4.1.1: an RFC 9110 token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Spaces and tabs: what the `cookie` package trims around names and values (and nothing else). */
function trimBlanks(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return text.slice(start, end);
}

/**
 * The request's `Cookie` header as one string, or `undefined` when absent. Repeated lines (HTTP/2
 * sends one per cookie, RFC 9113 §8.2.3) are joined with `; `, as Node joins them in `req.headers`.
 */
export function cookieHeader(headers: HeaderSource): string | undefined {
  const value = readHeader(headers, 'cookie');
  if (value === undefined) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join('; ');
}

/**
 * The names of the cookies in a `Cookie` header, in order, duplicates kept. An absent or empty
 * header, and empty pieces (`Cookie: ;`), carry no cookie. Unreadable (fails closed):
 *
 * - a piece without `=` (`Cookie: jwt`): browsers send a cookie set without a name that way;
 * - an empty name (`=value`).
 *
 * A `,` does not separate cookies for the `cookie` package, but it did for older parsers (RFC
 * 2965): a `name=` after a comma (`_ga=1, jwt=abc`) counts as one more cookie name, so either
 * reading of the header is covered. Text after a comma without `=` is part of the value
 * (`consent=a:yes,b:no`).
 *
 * @example
 * ```ts
 * readCookieNames('_ga=GA1.2.3; theme=dark'); // { ok: true, names: ['_ga', 'theme'] }
 * readCookieNames('_ga=1; jwt');               // { ok: false, malformed: 'jwt' }
 * ```
 */
export function readCookieNames(header: string | undefined): CookieNames {
  const names: string[] = [];
  if (header === undefined) return { ok: true, names };
  for (const piece of header.split(';')) {
    if (trimBlanks(piece).length === 0) continue;
    const parts = piece.split(',');
    const first = parts[0] ?? '';
    const eq = first.indexOf('=');
    if (eq === -1) return { ok: false, malformed: trimBlanks(piece) };
    const name = trimBlanks(first.slice(0, eq));
    if (name.length === 0) return { ok: false, malformed: trimBlanks(piece) };
    names.push(name);
    for (const part of parts.slice(1)) {
      const partEq = part.indexOf('=');
      if (partEq === -1) continue;
      const extra = trimBlanks(part.slice(0, partEq));
      if (extra.length > 0) names.push(extra);
    }
  }
  return { ok: true, names };
}

/**
 * Why a request's cookies keep it off a shared cached page, or `undefined` when it carries no
 * cookie or only cookies in `publicCookies` (compared exactly: names are case-sensitive).
 */
export function nonPublicCookie(
  headers: HeaderSource,
  publicCookies: ReadonlySet<string>,
): string | undefined {
  const header = cookieHeader(headers);
  if (header === undefined) return undefined;
  const read = readCookieNames(header);
  if (!read.ok) return `an unreadable Cookie header (at ${JSON.stringify(read.malformed.slice(0, 40))})`;
  const name = read.names.find((candidate) => !publicCookies.has(candidate));
  return name === undefined ? undefined : `the cookie "${name.slice(0, 40)}", which is not in publicCookies`;
}

/** The module options this file validates (`sessionCookieNames` only to refuse it). */
export interface CookieModuleOptions {
  readonly publicCookies?: readonly string[];
  readonly sessionCookieNames?: unknown;
}

/**
 * Validates `publicCookies` once at boot, and refuses the removed `sessionCookieNames`: it used
 * to make every other cookie cacheable, so an upgraded app that still passes it must not silently
 * get another behaviour. Throws {@link StrataConfigError} naming the option and the value.
 */
export function resolvePublicCookies(options: CookieModuleOptions): ReadonlySet<string> {
  if (options.sessionCookieNames !== undefined) {
    throw new StrataConfigError(
      'sessionCookieNames',
      options.sessionCookieNames,
      'this option was removed: shared routes now bypass the cache for every cookie except those ' +
        'listed in publicCookies (e.g. publicCookies: ["_ga"]); see docs/http-caching.md',
    );
  }
  const list: unknown = options.publicCookies;
  if (list === undefined) return new Set();
  if (!Array.isArray(list)) {
    throw new StrataConfigError('publicCookies', list, 'must be an array of cookie names');
  }
  for (const name of list as unknown[]) {
    if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
      throw new StrataConfigError(
        'publicCookies',
        name,
        'must be cookie names (RFC 6265 tokens: no space, "=", ";", "," or quote)',
      );
    }
  }
  return new Set(list as string[]);
}
