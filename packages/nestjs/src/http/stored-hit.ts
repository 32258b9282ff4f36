/**
 * The hot path of a hit: what a fresh stored response sends in one representation (identity or a
 * stored content coding), prepared once per stored response and representation, so that a hit
 * sets its headers and hands the adapter the stored string or bytes without building an answer
 * object first.
 *
 * A hit replayed this way goes out exactly as `replayResponse` (http-cache-response.ts) and
 * `sendBytes` (http-response-body.ts) would send it (same headers, in the same order, same body):
 * it only skips what they work out per request that cannot change for one stored response.
 *
 * @module
 */
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { Representation } from './content-coding.js';
import { type HeaderSource, headerString } from './http-headers.js';
import { expressBytes, isTextAsIsType, type ResponseBody, setHeaderOn } from './http-response-body.js';
import { selectedCoding, storedRepresentation } from './stored-representation.js';
import type { StoredResponse } from './stored-response.js';

/** The headers and body of a stored response, as a hit with the route's status sends them. */
export interface StoredHit {
  /** Header names in the order a replayed answer sets them (`age` and `x-cache` included). */
  readonly names: readonly string[];
  /** The stored value of each name; `undefined` for `age` and `x-cache`, which each hit sets. */
  readonly values: readonly (string | readonly string[] | undefined)[];
  /**
   * The body: stored text, sent as it is (both adapters encode it and set `Content-Length`), or
   * bytes (a coded representation; `content-length` is then among the names).
   */
  readonly body: ResponseBody;
}

/**
 * Prepared hits of stored responses, per representation (only of frozen ones: L1 hands out the
 * same object per hit). `null`: that representation goes the general way.
 */
const storedHits = new WeakMap<StoredResponse, Partial<Record<Representation, StoredHit | null>>>();

/**
 * The prepared hit of `stored` in the representation `coding`, or `undefined` when it must be
 * replayed the general way: a response that may still change (not frozen), an empty body, a
 * text body whose `Content-Type` an adapter would not leave as it is, or identity bytes that are
 * not text.
 */
export function storedHit(
  stored: StoredResponse,
  coding: Representation = 'identity',
): StoredHit | undefined {
  let hits = storedHits.get(stored);
  let hit = hits?.[coding];
  if (hit === undefined) {
    if (!Object.isFrozen(stored) || !Object.isFrozen(stored.headers)) return undefined;
    hit = prepareHit(stored, coding);
    if (hits === undefined) {
      hits = {};
      storedHits.set(stored, hits);
    }
    hits[coding] = hit;
  }
  return hit ?? undefined;
}

function prepareHit(stored: StoredResponse, coding: Representation): StoredHit | null {
  const { headers, body } = storedRepresentation(stored, coding);
  const type = headers['content-type'];
  if (body.length === 0) return null;
  // Bytes go as they are whatever the type; only a coded representation's are worth the
  // Express `StreamableFile` here (identity bytes keep the general path, as before).
  if (typeof body === 'string' ? typeof type !== 'string' || !isTextAsIsType(type) : coding === 'identity') {
    return null;
  }
  // The order of `replayResponse`'s headers: `age` and `x-cache` first, then the stored ones.
  const order: Record<string, string | readonly string[] | undefined> = {
    age: undefined,
    'x-cache': undefined,
    ...headers,
  };
  const names: string[] = [];
  const values: (string | readonly string[] | undefined)[] = [];
  for (const name of Object.keys(order)) {
    // `sendBytes` leaves these two to the adapter and the handler.
    if (name === 'content-length' || name === 'set-cookie') continue;
    names.push(name);
    values.push(name === 'age' || name === 'x-cache' ? undefined : order[name]);
  }
  if (typeof body !== 'string') {
    // As `sendBytes` does for bytes.
    names.push('content-length');
    values.push(String(body.byteLength));
  }
  return Object.freeze({ names: Object.freeze(names), values: Object.freeze(values), body });
}

/**
 * The representation of `stored` a request selects with its `Accept-Encoding` (identity for a
 * page stored without codings; see `selectedCoding`).
 */
export function hitRepresentation(stored: StoredResponse, request: HeaderSource): Representation {
  return selectedCoding(stored, headerString(request, 'accept-encoding'));
}

/**
 * Sets the headers of `hit` on the response, with `age` and `cache` (`X-Cache`), and returns what
 * Nest sends: the stored string, or the bytes (Fastify) or a `StreamableFile` of them (Express,
 * whose Nest reply would JSON-encode a `Buffer`), as `sendBytes` returns them. Only for a request
 * without `If-None-Match` and a stored status equal to the route's (else see `replayResponse` in http-cache-response.ts and `sendBytes` in
 * http-response-body.ts).
 *
 * @param express - `adapter.getType() === 'express'`.
 */
export function sendStoredHit(
  adapter: AbstractHttpAdapter,
  express: boolean,
  response: unknown,
  hit: StoredHit,
  age: string,
  cache: string,
): unknown {
  const { names, values, body } = hit;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const value = values[i] ?? (name === 'age' ? age : cache);
    setHeaderOn(adapter, express, response, name, value);
  }
  if (typeof body === 'string' || !express) return body;
  return expressBytes(body);
}
