/**
 * The representations of a stored page (identity and each stored content coding) as a hit sends
 * them: headers (its `ETag`, its `Content-Encoding`) and body bytes.
 *
 * Worked out once per frozen stored response (L1 hands out the same object on every hit): an L1
 * hit neither decodes base64 nor decompresses nor copies. A response read from Redis is a new
 * object per read, so each read decodes what it sends once.
 *
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { selectRepresentation } from './accept-encoding.js';
import { type CodedBodies, codedEtag, type ContentCoding, type Representation } from './content-coding.js';
import type { ResponseBody } from './http-response-body.js';
import { type StoredResponse, storedBody, storedCodings } from './stored-response.js';

/** One representation of a stored page, ready to send. */
export interface StoredRepresentation {
  /** `identity` or the content coding of {@link StoredRepresentation.body}. */
  readonly coding: Representation;
  /** Its entity tag: the stored `etag`, suffixed for a coding (see `codedEtag`). */
  readonly etag: string;
  /** The stored headers with this representation's `ETag` and, when coded, `Content-Encoding`. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** Its bytes (a string for a UTF-8 identity body). */
  readonly body: ResponseBody;
}

type Representations = Partial<Record<Representation, StoredRepresentation>>;

/** The representations already worked out, per frozen stored response. */
const prepared = new WeakMap<StoredResponse, Representations>();

/**
 * Which representation of `stored` a request with this `Accept-Encoding` gets (see
 * `selectRepresentation`): always identity for a page stored without codings.
 */
export function selectedCoding(stored: StoredResponse, acceptEncoding: string | undefined): Representation {
  return stored.bodyEncoding === 'coded'
    ? selectRepresentation(acceptEncoding, storedCodings(stored))
    : 'identity';
}

/** The representation of `stored` that a request with this `Accept-Encoding` gets (see {@link selectedCoding}). */
export function representationFor(
  stored: StoredResponse,
  acceptEncoding: string | undefined,
): StoredRepresentation {
  return storedRepresentation(stored, selectedCoding(stored, acceptEncoding));
}

/** The representation `coding` of `stored` (one of its stored codings, or identity). */
export function storedRepresentation(stored: StoredResponse, coding: Representation): StoredRepresentation {
  const frozen = Object.isFrozen(stored) && Object.isFrozen(stored.headers);
  let known = frozen ? prepared.get(stored) : undefined;
  const found = known?.[coding];
  if (found !== undefined) return found;
  const made = makeRepresentation(stored, coding, known);
  if (frozen) {
    if (known === undefined) {
      known = {};
      prepared.set(stored, known);
    }
    known[coding] = made;
  }
  return made;
}

/**
 * Remembers the bytes a page was just stored with, so that its first hits from L1 decode nothing
 * either. Only for `stored` as built from exactly `identity` and `coded` (see `toStoredResponse`).
 */
export function rememberRepresentations(
  stored: StoredResponse,
  identity: ResponseBody,
  coded: CodedBodies,
): void {
  if (!Object.isFrozen(stored) || !Object.isFrozen(stored.headers) || stored.bodyEncoding !== 'coded') return;
  const known: Representations = prepared.get(stored) ?? {};
  known.identity ??= represent(stored, 'identity', identity);
  for (const coding of storedCodings(stored)) {
    const bytes = coded[coding];
    if (bytes !== undefined) known[coding] ??= represent(stored, coding, bytes);
  }
  prepared.set(stored, known);
}

function makeRepresentation(
  stored: StoredResponse,
  coding: Representation,
  known: Representations | undefined,
): StoredRepresentation {
  if (coding !== 'identity') {
    const base64 = stored.codings?.[coding];
    if (base64 === undefined) return storedRepresentation(stored, 'identity');
    return represent(stored, coding, Buffer.from(base64, 'base64'));
  }
  if (stored.bodyEncoding !== 'coded') return represent(stored, 'identity', storedBody(stored));
  return represent(stored, 'identity', decodeIdentity(stored, known));
}

/** The identity bytes of a coded page, from a coding already decoded when there is one. */
function decodeIdentity(stored: StoredResponse, known: Representations | undefined): ResponseBody {
  const codings = storedCodings(stored);
  const decoded = codings.find((coding) => known?.[coding] !== undefined);
  const coding: ContentCoding | undefined = decoded ?? codings[0];
  if (coding === undefined) return '';
  const bytes = known?.[coding]?.body ?? Buffer.from(stored.codings?.[coding] ?? '', 'base64');
  const raw = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const identity = coding === 'br' ? brotliDecompressSync(raw) : gunzipSync(raw);
  // As an uncoded page stores it: the text when it is UTF-8 (sent as a string, no conversion).
  return isUtf8(identity) ? identity.toString('utf8') : identity;
}

function represent(stored: StoredResponse, coding: Representation, body: ResponseBody): StoredRepresentation {
  if (coding === 'identity')
    return Object.freeze({ coding, etag: stored.etag, headers: stored.headers, body });
  const etag = codedEtag(stored.etag, coding);
  const headers = Object.freeze({ ...stored.headers, etag, 'content-encoding': coding });
  return Object.freeze({ coding, etag, headers, body });
}
