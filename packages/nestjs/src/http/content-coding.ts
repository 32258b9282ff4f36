/**
 * Content codings of stored pages (RFC 9110 §8.4): which pages are compressed when they are
 * stored, how (`br` and `gzip`, each once, at a fixed fast level), and the `ETag` and `Vary` each
 * coded representation goes out with.
 *
 * @module
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { StrataConfigError } from '@strata/core';
import { parseCacheControl } from './cache-control.js';
import { parseEntityTag } from './etag.js';
import { type HeaderValue, splitList } from './http-headers.js';

/** The content codings a page is stored in besides identity, best first (the tie order of negotiation). */
export const CONTENT_CODINGS = Object.freeze(['br', 'gzip'] as const);

/** A content coding a page may be stored in. */
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/** A representation a hit can send: a stored coding, or the identity bytes. */
export type Representation = ContentCoding | 'identity';

/** The coded bytes of one page, by coding (only the codings that made it smaller). */
export type CodedBodies = Readonly<Partial<Record<ContentCoding, Buffer>>>;

/** Smallest body compressed, in bytes: below it, framing and the header cost more than they save. */
export const MIN_COMPRESSED_BYTES = 1024;

/**
 * Brotli quality 5 with the size hint: measured on a 10 KB JSON page of varied records, about
 * 0.2 ms per page, 3 % smaller than quality 4 and at the ratio of quality 6 for less time
 * (quality 11 takes 10 ms). A page is compressed once, when it is stored, and every hit sends it.
 */
export const BROTLI_QUALITY = 5;

/** Gzip level 6, zlib's default: about 0.08 ms per 10 KB page, within 0.1 % of level 9. */
export const GZIP_LEVEL = 6;

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Media types worth compressing: text, JSON, XML, JavaScript, SVG, WebAssembly and the like.
 * Images, audio, video, archives and fonts other than SVG are compressed already.
 */
const COMPRESSIBLE_TYPE = new RegExp(
  [
    '^(?:text/[^;\\s]+',
    '|application/(?:json|javascript|ecmascript|x-javascript|xml|x-ndjson|ndjson|wasm',
    '|x-www-form-urlencoded|[^;\\s]*\\+(?:json|xml))',
    '|image/svg\\+xml)\\s*(?:;|$)',
  ].join(''),
  'i',
);

/** Whether a page of this `Content-Type` is worth compressing. */
export function isCompressibleType(contentType: string | undefined): boolean {
  return contentType !== undefined && COMPRESSIBLE_TYPE.test(contentType.trim());
}

/** The response headers {@link shouldCompress} reads (lowercase names). */
export interface CodingCandidate {
  readonly status: number;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly bodyLength: number;
}

const single = (value: HeaderValue): string | undefined =>
  value === undefined ? undefined : typeof value === 'object' ? value.join(', ') : String(value);

/**
 * Whether a page is stored with coded representations: a body of at least
 * {@link MIN_COMPRESSED_BYTES} of a compressible type, from a response that is not already coded
 * (`Content-Encoding` set by the handler), does not forbid transformation (`no-transform`), and
 * does not itself vary on `Accept-Encoding` (its handler negotiates codings: it is stored as it is).
 */
export function shouldCompress(page: CodingCandidate): boolean {
  const { headers } = page;
  if (page.bodyLength < MIN_COMPRESSED_BYTES || page.status === 204 || page.status === 304) return false;
  if (!isCompressibleType(single(headers['content-type']))) return false;
  const encoding = single(headers['content-encoding']);
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false;
  if (parseCacheControl(single(headers['cache-control'])).has('no-transform')) return false;
  return !splitList(single(headers.vary)).some((name) => name.toLowerCase() === 'accept-encoding');
}

/**
 * The coded forms of `body`, each kept only when it is smaller than `body`. Runs on the thread
 * pool (both at once): a large page does not hold up the event loop.
 */
export async function compressBody(body: Buffer): Promise<CodedBodies> {
  const [br, gz] = await Promise.all([
    brotliAsync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      },
    }),
    gzipAsync(body, { level: GZIP_LEVEL }),
  ]);
  const coded: Partial<Record<ContentCoding, Buffer>> = {};
  if (br.byteLength < body.byteLength) coded.br = br;
  if (gz.byteLength < body.byteLength) coded.gzip = gz;
  return coded;
}

/**
 * The entity tag of a coded representation: the identity tag with `-coding` inside the quotes
 * (`"abc"` -> `"abc-br"`, `W/"abc"` -> `W/"abc-br"`), so that each representation has its own
 * tag (RFC 9110 §8.8.3) and the tags of one page stay recognisably related.
 */
export function codedEtag(etag: string, coding: ContentCoding): string {
  const tag = parseEntityTag(etag);
  if (tag === undefined) return etag;
  return `${tag.weak ? 'W/' : ''}${tag.opaque.slice(0, -1)}-${coding}"`;
}

/**
 * `Vary` with `Accept-Encoding` added (once: not when a member already names it, not to `*`),
 * as one line.
 */
export function varyWithAcceptEncoding(vary: HeaderValue): string {
  const members = splitList(single(vary));
  if (members.some((name) => name === '*' || name.toLowerCase() === 'accept-encoding')) {
    return members.join(', ');
  }
  members.push('Accept-Encoding');
  return members.join(', ');
}

/** Checks `compression` at boot (absent: `true`); throws {@link StrataConfigError} naming the option. */
export function resolveCompression(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new StrataConfigError('compression', value, 'expected a boolean');
  return value;
}
