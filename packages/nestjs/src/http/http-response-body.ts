/**
 * The one serializer of cached routes, and the way their bytes reach the client.
 *
 * Interceptors see values, not bytes, and each adapter turns a value into bytes its own way
 * (Nest's Express reply even JSON-encodes a `Buffer`). So the interceptor serializes the
 * handler's value once, here, and sends those bytes in a form each adapter passes through
 * unchanged (see {@link sendBytes}). A hit sends the stored bytes the same way, so miss and hit
 * bodies are byte-identical.
 *
 * @module
 */
import { StreamableFile } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';

/** A handler's value as bytes, with the `Content-Type` it implies. */
export interface SerializedBody {
  readonly bytes: Buffer;
  /** `undefined` for an empty body (`null` / `undefined` returned). */
  readonly contentType: string | undefined;
}

/** `Content-Type` of a body serialized from an object, array, number or boolean. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** `Content-Type` of a body returned as a string (Fastify's choice; never sniffed as HTML). */
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** `Content-Type` of a body returned as bytes. */
export const BYTES_CONTENT_TYPE = 'application/octet-stream';

const EMPTY = Buffer.alloc(0);

/**
 * True for values that are sent as streams (never cached): `StreamableFile`, a web `Response` or
 * `ReadableStream`, a Node stream, an async iterable.
 */
export function isStreamingValue(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof StreamableFile || value instanceof Response || value instanceof ReadableStream)
    return true;
  return Symbol.asyncIterator in value || typeof (value as { pipe?: unknown }).pipe === 'function';
}

/**
 * Serializes a handler's value: bytes as they are, a string as UTF-8, `null` / `undefined` as an
 * empty body, anything else as JSON. Call {@link isStreamingValue} first: streams are not values.
 */
export function serializeBody(value: unknown): SerializedBody {
  if (value === null || value === undefined) return { bytes: EMPTY, contentType: undefined };
  if (Buffer.isBuffer(value)) return { bytes: value, contentType: BYTES_CONTENT_TYPE };
  if (value instanceof Uint8Array) {
    return {
      bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      contentType: BYTES_CONTENT_TYPE,
    };
  }
  if (typeof value === 'string') return { bytes: Buffer.from(value, 'utf8'), contentType: TEXT_CONTENT_TYPE };
  const json: unknown = JSON.stringify(value);
  // JSON.stringify gives undefined for a function or a symbol: nothing to send.
  if (typeof json !== 'string') return { bytes: EMPTY, contentType: undefined };
  return { bytes: Buffer.from(json, 'utf8'), contentType: JSON_CONTENT_TYPE };
}

/** Statuses whose response has no content (RFC 9110 §6.4.1). */
const NO_CONTENT = new Set([204, 304]);

/**
 * A web `Response` of exactly `body`'s bytes with `status` and `headers` (lowercase names, arrays
 * for repeated lines). `Content-Length` is set from the body, also for HEAD, whose body Nest does
 * not send.
 */
export function bytesResponse(
  status: number,
  headers: Readonly<Record<string, string | readonly string[]>>,
  body: Buffer | undefined,
): Response {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'content-length' || name === 'set-cookie') continue;
    if (typeof value === 'string') out.set(name, value);
    else for (const line of value) out.append(name, line);
  }
  if (NO_CONTENT.has(status) || body === undefined) return new Response(null, { status, headers: out });
  out.set('content-length', String(body.byteLength));
  // A view, not a copy: the Response reads the bytes once, as they are.
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return new Response(body.byteLength === 0 ? null : bytes, { status, headers: out });
}

/** A response to send: status, headers (lowercase names) and body bytes (`undefined`: none). */
export interface BytesAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer | undefined;
}

/** Sets a header through the adapter, one line per member of an array. */
export function setResponseHeader(
  adapter: AbstractHttpAdapter,
  response: unknown,
  name: string,
  value: string | readonly string[],
): void {
  if (typeof value === 'string') {
    adapter.setHeader(response, name, value);
    return;
  }
  value.forEach((line, i) =>
    i === 0 ? adapter.setHeader(response, name, line) : adapter.appendHeader(response, name, line),
  );
}

/**
 * What the interceptor returns so that Nest sends `answer` byte for byte.
 *
 * The common case, a body with the route's own status: the headers go on the response through
 * the adapter, and the value is the bytes as Fastify sends them (`reply.send(buffer)`), or on
 * Express a `StreamableFile` of them (Nest's Express reply would `res.json` a `Buffer`). Any other
 * status (a 304, a cached 404) cannot be set that way, as Nest applies the route's status to the
 * value; it goes as a web `Response`, whose status and headers Nest sends as they are (slower:
 * it is streamed).
 */
export function sendBytes(
  adapter: AbstractHttpAdapter,
  response: unknown,
  routeStatus: number,
  answer: BytesAnswer,
): unknown {
  const { body } = answer;
  if (answer.status !== routeStatus || body === undefined || body.byteLength === 0) {
    return bytesResponse(answer.status, answer.headers, body);
  }
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name === 'content-length' || name === 'set-cookie') continue;
    setResponseHeader(adapter, response, name, value);
  }
  adapter.setHeader(response, 'content-length', String(body.byteLength));
  return adapter.getType() === 'fastify' ? body : new StreamableFile(body);
}
