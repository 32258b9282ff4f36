/**
 * Request headers that can change a response without being part of its key (`X-Forwarded-Host`,
 * …): each either enters the key or makes the request bypass the cache (cache poisoning guard).
 *
 * @module
 */
import type { HeaderSource, HeaderValue } from './http-headers.js';
import { normalizeHeaderValue } from './http-cache-key.js';

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

/** The outcome for a request with no unkeyed header. */
const NO_KEY_PART: UnkeyedHeadersResult = Object.freeze({ ok: true, keyPart: '' });

/** The lowercase names of each policy's decisions, as an array (no iterator per request). */
const policyNames = new WeakMap<ReadonlyMap<string, UnkeyedHeaderDecision>, readonly string[]>();

function carriesAny(
  request: Readonly<Record<string, HeaderValue>>,
  decisions: ReadonlyMap<string, UnkeyedHeaderDecision>,
): boolean {
  let names = policyNames.get(decisions);
  if (names === undefined) {
    names = [...decisions.keys()];
    policyNames.set(decisions, names);
  }
  for (let i = 0; i < names.length; i++) if (request[names[i] as string] !== undefined) return true;
  return false;
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
  // The usual request carries none of them: one property read per name, nothing allocated.
  if (typeof request !== 'function' && !carriesAny(request, decisions)) return NO_KEY_PART;
  const keyed: [string, string][] = [];
  for (const [name, decision] of decisions) {
    const value = normalizeHeaderValue(request, name);
    if (value === null) continue;
    if (decision === 'bypass') return { ok: false, reason: 'unkeyed-header', header: name };
    keyed.push([name, value]);
  }
  if (keyed.length === 0) return NO_KEY_PART;
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { ok: true, keyPart: JSON.stringify(keyed) };
}
