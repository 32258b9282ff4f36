/**
 * The hot path of a hit: what a fresh stored text response sends, prepared once per stored
 * response, so that a hit sets its headers and hands the adapter the stored string without
 * building an answer object first.
 *
 * A hit replayed this way goes out exactly as `replayResponse` (http-cache-response.ts) and
 * `sendBytes` (http-response-body.ts) would send it (same headers, in the same order, same body):
 * it only skips what they work out per request that cannot change for one stored response.
 *
 * @module
 */
import type { AbstractHttpAdapter } from '@nestjs/core';
import { isTextAsIsType, setHeaderOn } from './http-response-body.js';
import type { StoredResponse } from './stored-response.js';

/** The headers and body of a stored text response, as a hit with the route's status sends them. */
export interface StoredHit {
  /** Header names in the order a replayed answer sets them (`age` and `x-cache` included). */
  readonly names: readonly string[];
  /** The stored value of each name; `undefined` for `age` and `x-cache`, which each hit sets. */
  readonly values: readonly (string | readonly string[] | undefined)[];
  /** The stored text, sent as it is (both adapters encode it and set `Content-Length`). */
  readonly body: string;
}

/** Prepared hits of stored responses (only of frozen ones: L1 hands out the same object per hit). */
const storedHits = new WeakMap<StoredResponse, StoredHit | null>();

/**
 * The prepared hit of `stored`, or `undefined` when it must be replayed the general way: a
 * response that may still change (not frozen), a body that is not text or empty, or a
 * `Content-Type` an adapter would not leave as it is.
 */
export function storedHit(stored: StoredResponse): StoredHit | undefined {
  let hit = storedHits.get(stored);
  if (hit === undefined) {
    if (!Object.isFrozen(stored) || !Object.isFrozen(stored.headers)) return undefined;
    hit = prepareHit(stored);
    storedHits.set(stored, hit);
  }
  return hit ?? undefined;
}

function prepareHit(stored: StoredResponse): StoredHit | null {
  const type = stored.headers['content-type'];
  if (stored.bodyEncoding !== 'utf8' || stored.body.length === 0) return null;
  if (typeof type !== 'string' || !isTextAsIsType(type)) return null;
  // The order of `replayResponse`'s headers: `age` and `x-cache` first, then the stored ones.
  const order: Record<string, string | readonly string[] | undefined> = {
    age: undefined,
    'x-cache': undefined,
    ...stored.headers,
  };
  const names: string[] = [];
  const values: (string | readonly string[] | undefined)[] = [];
  for (const name of Object.keys(order)) {
    // `sendBytes` leaves these two to the adapter and the handler.
    if (name === 'content-length' || name === 'set-cookie') continue;
    names.push(name);
    values.push(name === 'age' || name === 'x-cache' ? undefined : order[name]);
  }
  return Object.freeze({ names: Object.freeze(names), values: Object.freeze(values), body: stored.body });
}

/**
 * Sets the headers of `hit` on the response, with `age` and `cache` (`X-Cache`), and returns what
 * Nest sends: the stored string. Only for a request without `If-None-Match` and a stored status
 * equal to the route's (else see `replayResponse` in http-cache-response.ts and `sendBytes` in
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
): string {
  const { names, values } = hit;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const value = values[i] ?? (name === 'age' ? age : cache);
    setHeaderOn(adapter, express, response, name, value);
  }
  return hit.body;
}
