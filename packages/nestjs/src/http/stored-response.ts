/**
 * The stored form of an HTTP response: status, the headers a cache may keep, the body (its text
 * when it is UTF-8, which JSON and text always are, else its bytes as base64) and what the lookup
 * needs (`etag`, `varyNames`, `storedAt`, `tags`). Plain strings, numbers and arrays only, so it
 * survives `@strata/core`'s value codec and JSON unchanged; the body comes back byte for byte.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer';
import {
  type CodedBodies,
  type ContentCoding,
  CONTENT_CODINGS,
  varyWithAcceptEncoding,
} from './content-coding.js';
import { type HeaderValue, splitList } from './http-headers.js';
import type { ResponseBody } from './http-response-body.js';

/**
 * Version of {@link StoredResponse}'s shape; an entry of another version reads as a miss.
 * 3: a compressible page is stored coded (`bodyEncoding: 'coded'`, `codings`); 2 had no codings;
 * 1 stored base64 only.
 */
export const STORED_RESPONSE_VERSION = 3;

/** An HTTP response as the cache keeps it. */
export interface StoredResponse {
  /** Shape version: {@link STORED_RESPONSE_VERSION}. */
  readonly v: typeof STORED_RESPONSE_VERSION;
  /** The status code. */
  readonly status: number;
  /** Lowercase names; without hop-by-hop headers, `Set-Cookie`, `Content-Length` and `Age`. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /**
   * The body: its text when {@link StoredResponse.bodyEncoding} is `utf8`, its bytes in base64
   * when `base64`, empty when `coded` (the identity bytes are those of any coding, decoded).
   */
  readonly body: string;
  /**
   * `utf8` for a body that is valid UTF-8 (JSON, text: stored and sent as the string, with no
   * conversion on a hit), `base64` for other bytes, `coded` for a page stored only in its
   * {@link StoredResponse.codings}.
   */
  readonly bodyEncoding: 'utf8' | 'base64' | 'coded';
  /**
   * With `bodyEncoding: 'coded'` only: the body in each content coding it was stored in (at least
   * one), in base64. Its `headers.vary` then names `Accept-Encoding`, which its `varyNames` do not:
   * every representation lives in this one entry.
   */
  readonly codings?: Readonly<Partial<Record<ContentCoding, string>>>;
  /** The `ETag` sent with the response (also in `headers.etag`). */
  readonly etag: string;
  /** When it was stored, in ms since the epoch. */
  readonly storedAt: number;
  /** Lowercase header names from the response's `Vary`, for the variant key. */
  readonly varyNames: readonly string[];
  /** The tags the entry was stored with. */
  readonly tags: readonly string[];
  /**
   * Until when it is fresh, in ms since the epoch. The entry outlives it by the route's
   * `staleWhileRevalidate` / `staleIfError` window, in which it is only served stale. Absent:
   * fresh as long as it is stored.
   */
  readonly freshUntil?: number;
}

/**
 * Headers never stored. Hop-by-hop (RFC 9110 §7.6.1, RFC 9111 §3.1), `Set-Cookie` (one client's
 * cookie must never reach another), `Content-Length` (the adapter computes it from the stored
 * body, also for HEAD) and `Age` (computed on each hit).
 */
export const UNSTORED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authentication-info',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'set-cookie',
  'content-length',
  'age',
]);

/**
 * The headers a cache may keep: names lowercased, numbers turned into strings, arrays copied,
 * minus {@link UNSTORED_HEADERS} and the headers named in `Connection` (RFC 9110 §7.6.1).
 */
export function storableHeaders(
  headers: Readonly<Record<string, HeaderValue>>,
): Record<string, string | string[]> {
  const lower = new Map<string, HeaderValue>();
  for (const [name, value] of Object.entries(headers)) lower.set(name.toLowerCase(), value);
  const connection = lower.get('connection');
  const listed = new Set(
    (typeof connection === 'object' ? connection : [String(connection ?? '')]).flatMap((line) =>
      splitList(line).map((name) => name.toLowerCase()),
    ),
  );
  const kept: [string, string | string[]][] = [];
  for (const [name, value] of lower) {
    if (value === undefined || UNSTORED_HEADERS.has(name) || listed.has(name)) continue;
    kept.push([name, typeof value === 'object' ? [...value] : String(value)]);
  }
  // fromEntries defines own properties: a header named `__proto__` stays a header.
  return Object.fromEntries(kept);
}

/** What {@link toStoredResponse} needs. */
export interface StoredResponseInput {
  readonly status: number;
  /** The response headers as the handler left them (any case). */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** The exact bytes sent to the client (a string: its UTF-8 encoding). */
  readonly body: ResponseBody | Uint8Array;
  /** The `ETag` the response carries (see `responseEtag`). */
  readonly etag: string;
  /** Now, in ms since the epoch. */
  readonly storedAt: number;
  /** From the response's `Vary` (see `parseVary`). */
  readonly varyNames?: readonly string[];
  readonly tags?: readonly string[];
  /** See {@link StoredResponse.freshUntil}. */
  readonly freshUntil?: number;
  /**
   * The body in content codings (see `compressBody`): when one is given, the page is stored
   * `coded`, without its identity bytes, and its `Vary` gains `Accept-Encoding`.
   */
  readonly codings?: CodedBodies;
}

/** Builds the stored form; `etag` is also written to `headers.etag`. */
export function toStoredResponse(input: StoredResponseInput): StoredResponse {
  const headers = storableHeaders(input.headers);
  headers.etag = input.etag;
  const codings = storableCodings(input.codings);
  if (codings !== undefined) headers.vary = varyWithAcceptEncoding(headers.vary);
  return {
    v: STORED_RESPONSE_VERSION,
    status: input.status,
    headers,
    ...(codings === undefined ? storableBody(input.body) : { body: '', bodyEncoding: 'coded', codings }),
    etag: input.etag,
    storedAt: input.storedAt,
    varyNames: [...(input.varyNames ?? [])],
    tags: [...(input.tags ?? [])],
    // Only when set: an absent field stays absent through JSON and the value codec.
    ...(input.freshUntil === undefined ? {} : { freshUntil: input.freshUntil }),
  };
}

function storableBody(body: ResponseBody | Uint8Array): Pick<StoredResponse, 'body' | 'bodyEncoding'> {
  if (typeof body === 'string') return { body, bodyEncoding: 'utf8' };
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Valid UTF-8 decodes and re-encodes to the same bytes (a BOM included), and is a third shorter than base64.
  if (isUtf8(bytes)) return { body: bytes.toString('utf8'), bodyEncoding: 'utf8' };
  return { body: bytes.toString('base64'), bodyEncoding: 'base64' };
}

function storableCodings(coded: CodedBodies | undefined): StoredResponse['codings'] {
  if (coded === undefined) return undefined;
  const codings: Partial<Record<ContentCoding, string>> = {};
  let any = false;
  for (const coding of CONTENT_CODINGS) {
    const bytes = coded[coding];
    if (bytes === undefined) continue;
    codings[coding] = bytes.toString('base64');
    any = true;
  }
  return any ? codings : undefined;
}

/**
 * The body of a stored response that is not `coded`, to send: the stored string itself for a
 * UTF-8 body (no copy, no decoding), the decoded bytes otherwise. A `coded` page's bodies come
 * from `storedRepresentation` (stored-representation.ts).
 */
export function storedBody(stored: Pick<StoredResponse, 'body' | 'bodyEncoding'>): ResponseBody {
  return stored.bodyEncoding === 'utf8' ? stored.body : Buffer.from(stored.body, 'base64');
}

/** The codings a stored page holds, in {@link CONTENT_CODINGS} order (none unless `coded`). */
export function storedCodings(stored: Pick<StoredResponse, 'codings'>): readonly ContentCoding[] {
  const { codings } = stored;
  if (codings === undefined) return NO_CODINGS;
  // One frozen array per set of codings: no new array per hit, and negotiation remembers its
  // choices by array (accept-encoding.ts).
  if (codings.br !== undefined) return codings.gzip !== undefined ? BOTH_CODINGS : BR_ONLY;
  return codings.gzip !== undefined ? GZIP_ONLY : NO_CODINGS;
}

const NO_CODINGS: readonly ContentCoding[] = Object.freeze([]);
const BOTH_CODINGS: readonly ContentCoding[] = CONTENT_CODINGS;
const BR_ONLY: readonly ContentCoding[] = Object.freeze(['br'] as const);
const GZIP_ONLY: readonly ContentCoding[] = Object.freeze(['gzip'] as const);

/** The `Age` of a stored response in whole seconds (RFC 9111 §5.1); never negative, even with clock skew. */
export function ageSeconds(stored: Pick<StoredResponse, 'storedAt'>, now: number): number {
  return Math.max(0, Math.floor((now - stored.storedAt) / 1000));
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * A body and its codings agree: `coded` with an empty body and one or more codings (known names,
 * non-empty strings), any other encoding without codings.
 */
function isStoredBody(entry: Record<string, unknown>): boolean {
  if (typeof entry.body !== 'string') return false;
  if (entry.bodyEncoding === 'utf8' || entry.bodyEncoding === 'base64') return entry.codings === undefined;
  if (entry.bodyEncoding !== 'coded' || entry.body !== '') return false;
  const codings = entry.codings;
  if (codings === null || typeof codings !== 'object' || Array.isArray(codings)) return false;
  const names = Object.keys(codings);
  return (
    names.length > 0 &&
    names.every((name) => {
      const value = (codings as Record<string, unknown>)[name];
      return (
        (CONTENT_CODINGS as readonly string[]).includes(name) && typeof value === 'string' && value.length > 0
      );
    })
  );
}

/**
 * True when `value` (read back from a store) has the current stored shape. Anything else, an
 * older version included, should be treated as a miss, not trusted.
 */
export function isStoredResponse(value: unknown): value is StoredResponse {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  const headers = entry.headers;
  return (
    entry.v === STORED_RESPONSE_VERSION &&
    Number.isInteger(entry.status) &&
    isStoredBody(entry) &&
    typeof entry.etag === 'string' &&
    typeof entry.storedAt === 'number' &&
    isStringArray(entry.varyNames) &&
    isStringArray(entry.tags) &&
    (entry.freshUntil === undefined || typeof entry.freshUntil === 'number') &&
    headers !== null &&
    typeof headers === 'object' &&
    !Array.isArray(headers) &&
    Object.values(headers).every((item) => typeof item === 'string' || isStringArray(item))
  );
}
