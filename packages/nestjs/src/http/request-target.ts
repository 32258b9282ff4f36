/**
 * The path of a request target, read for the HTTP cache key: kept exactly as received (so two
 * requests that share it are routed alike and see the same path and parameters), or refused when
 * the adapters could read it differently from one another or from the key.
 *
 * @module
 */

/** Why a request target cannot be keyed (the request then bypasses the cache). */
export type TargetBypassReason =
  /** Not `/path…`: `*`, or an absolute URL sent to a proxy (`GET http://a.test/x`). */
  | 'not-origin-form'
  /**
   * A `#` anywhere: clients never send a fragment, and the adapters disagree on it (Express drops
   * what follows, Fastify's router reads it as the start of the query).
   */
  | 'fragment'
  /** A `;` in the path: Fastify's `useSemicolonDelimiter` reads it as the start of the query. */
  | 'path-parameters'
  /** A `%` not followed by two hex digits: the routers reject or keep it, each its own way. */
  | 'invalid-percent-encoding'
  /**
   * A byte a client must percent-encode (space, control, non-ASCII, `"`, `<`, `>`, `\`, `^`, `` ` ``,
   * `{`, `|`, `}`): never sent by a browser, and `{…}` would pick the Redis Cluster slot.
   */
  | 'unencoded-character';

/** The path of a request target, or why it cannot be keyed. */
export type TargetPathResult =
  | {
      readonly ok: true;
      /** The path as received, up to the first `?`: not decoded, not normalized. */
      readonly path: string;
      /** What follows the first `?` (`''` when there is no `?`). */
      readonly query: string;
    }
  | { readonly ok: false; readonly reason: TargetBypassReason };

// Characters a client may send in a path as they are (RFC 3986 pchar and `/`): unreserved,
// sub-delims less `;`, `:`, `@`, `/`, and `%` (checked apart). Indexed by char code.
const PATH_CHARS = new Uint8Array(128);
for (const char of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,=:@/%") {
  PATH_CHARS[char.charCodeAt(0)] = 1;
}

const isHex = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);

/**
 * Splits a request target into its path and raw query, checking the path in one pass.
 *
 * @example
 * ```ts
 * targetPath('/users/42?tab=1'); // { ok: true, path: '/users/42', query: 'tab=1' }
 * targetPath('/users/42#x');     // { ok: false, reason: 'fragment' }
 * ```
 */
export function targetPath(target: string): TargetPathResult {
  if (target.charCodeAt(0) !== 47 /* / */) return { ok: false, reason: 'not-origin-form' };
  if (target.includes('#')) return { ok: false, reason: 'fragment' };
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  // One regex for the usual, clean path; the loop only runs to name what is wrong.
  if (!CLEAN_PATH.test(path)) return { ok: false, reason: pathFault(path) };
  return { ok: true, path, query: mark === -1 ? '' : target.slice(mark + 1) };
}

/** pchar and `/` (RFC 3986) less `;`, with `%` only before two hex digits. */
const CLEAN_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,=:@/]|%[0-9A-Fa-f]{2})*$/;

/** Why a path failed {@link CLEAN_PATH}. */
function pathFault(path: string): TargetBypassReason {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code === 59 /* ; */) return 'path-parameters';
    if (code >= 128 || PATH_CHARS[code] !== 1) return 'unencoded-character';
    if (code === 37 /* % */ && !(isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2)))) {
      return 'invalid-percent-encoding';
    }
  }
  return 'unencoded-character';
}

// What a path segment may hold raw (RFC 3986 pchar) less `;`: the routers hand a handler the same
// parameter for `a,b` and `a%2Cb`, so the tag must not tell them apart.
const SEGMENT_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;
const CANONICAL_PATH = /^(?:\/[a-z0-9\-._~!$&'()*+,=:@]+)+$|^\/$/;

/**
 * The path as the path tag names it: a coarser form than the key's, so that an unsafe request
 * drops the cached GETs of every spelling the routers treat as the same path. Percent-encoded
 * characters a segment may hold raw decoded (`%34%32` is `42`, `a%2Cb` is `a,b`; not `/`, `?`,
 * `#`, `%` or `;`), the rest lowercased (routes match without
 * case by default), runs of `/` joined, a trailing `/` and `;` parameters dropped. Several paths
 * sharing a tag only costs a miss; a spelling left out would keep an old page.
 */
export function canonicalPath(path: string): string {
  // Most paths are canonical already: lowercase segments, no `%`, `;`, `//` or trailing `/`.
  if (CANONICAL_PATH.test(path)) return path;
  let canonical = path;
  const fragment = canonical.search(/[?#]/);
  if (fragment !== -1) canonical = canonical.slice(0, fragment);
  // Until nothing decodes: after a stray `%` (only in a write's path, a GET's bypasses) a decoded
  // character can complete an escape (`%2%41` gives `%2A`), and every spelling needs one tag.
  for (let before = ''; before !== canonical && canonical.includes('%');) {
    before = canonical;
    canonical = canonical.replace(/%([0-9A-Fa-f]{2})/g, (encoded: string, hex: string) => {
      const char = String.fromCharCode(Number.parseInt(hex, 16));
      return SEGMENT_CHAR.test(char) ? char : encoded;
    });
  }
  canonical = canonical.toLowerCase();
  if (canonical.includes(';')) canonical = canonical.replace(/;[^/]*/g, '');
  if (canonical.includes('//')) canonical = canonical.replace(/\/{2,}/g, '/');
  if (canonical.length > 1 && canonical.endsWith('/')) canonical = canonical.slice(0, -1);
  return canonical.length === 0 ? '/' : canonical;
}
