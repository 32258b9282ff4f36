/**
 * The one serializer of cached routes, and the way their bytes reach the client.
 *
 * Interceptors see values, not bytes, and each adapter turns a value into bytes its own way
 * (Nest's Express reply even JSON-encodes a `Buffer`). So the interceptor serializes the
 * handler's value once, here, and sends those bytes in a form each adapter passes through
 * unchanged (see {@link sendBytes}). A hit sends the stored bytes the same way, so miss and hit
 * bodies are byte-identical.
 *
 * A body is a {@link ResponseBody}: JSON and strings stay text (a string stands for its UTF-8
 * bytes), so neither a miss nor a hit converts them to a `Buffer` and back.
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';

/**
 * Body bytes: a `Buffer`, or a string standing for its UTF-8 encoding (the form JSON and text
 * are produced in, sent and stored; see {@link bodyBytes}).
 */
export type ResponseBody = string | Buffer;

/** A handler's value as a body, with the `Content-Type` it implies. */
export interface SerializedBody {
  readonly body: ResponseBody;
  /** `undefined` for an empty body (`null` / `undefined` returned). */
  readonly contentType: string | undefined;
}

/** `Content-Type` of a body serialized from an object, array, number or boolean. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** `Content-Type` of a body returned as a string (Fastify's choice; never sniffed as HTML). */
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** `Content-Type` of a body returned as bytes. */
export const BYTES_CONTENT_TYPE = 'application/octet-stream';

/** The bytes of a body (a string is encoded as UTF-8). */
export function bodyBytes(body: ResponseBody): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** The length of a body in bytes. */
export function bodyLength(body: ResponseBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

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
 * Serializes a handler's value: bytes as they are, a string as its text, `null` / `undefined` as
 * an empty body, anything else as JSON text. Call {@link isStreamingValue} first: streams are not
 * values.
 */
export function serializeBody(value: unknown): SerializedBody {
  if (value === null || value === undefined) return { body: '', contentType: undefined };
  if (Buffer.isBuffer(value)) return { body: value, contentType: BYTES_CONTENT_TYPE };
  if (value instanceof Uint8Array) {
    return {
      body: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      contentType: BYTES_CONTENT_TYPE,
    };
  }
  if (typeof value === 'string') return { body: value, contentType: TEXT_CONTENT_TYPE };
  const json: unknown = JSON.stringify(value);
  // JSON.stringify gives undefined for a function or a symbol: nothing to send.
  if (typeof json !== 'string') return { body: '', contentType: undefined };
  return { body: json, contentType: JSON_CONTENT_TYPE };
}

/**
 * The source of a {@link expressBytes} file: a stream that has its bytes already and hands them
 * to the response in one `end()` when Nest's Express reply pipes it, instead of a `Readable`
 * pushing one chunk through `pipe()` (about 30 µs less per 5 KB answer here, measured). It
 * reads as ended from the start: Nest's Express reply then ends a HEAD response without a body,
 * and has no reading to stop when the client goes away.
 */
class PresentBytes extends EventEmitter {
  readonly readableEnded = true;
  readonly readableObjectMode = false;
  readonly errored = null;

  constructor(private readonly bytes: Buffer) {
    super();
  }

  pipe<T extends { end(chunk: Buffer): unknown }>(destination: T): T {
    destination.end(this.bytes);
    return destination;
  }

  destroy(): this {
    return this;
  }
}

/**
 * `bytes` as Nest's Express reply sends them as they are (it would JSON-encode a `Buffer`): a
 * `StreamableFile` whose source ends the response with them in one call.
 */
export function expressBytes(bytes: Buffer): StreamableFile {
  // Not a `Readable`: only what Nest's Express reply uses of one (events, `pipe`, `readableEnded`).
  return new StreamableFile(new PresentBytes(bytes) as unknown as Readable);
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
  body: ResponseBody | undefined,
): Response {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'content-length' || name === 'set-cookie') continue;
    if (typeof value === 'string') out.set(name, value);
    else for (const line of value) out.append(name, line);
  }
  if (NO_CONTENT.has(status) || body === undefined) return new Response(null, { status, headers: out });
  const bytes = bodyBytes(body);
  out.set('content-length', String(bytes.byteLength));
  // A view, not a copy: the Response reads the bytes once, as they are.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Response(bytes.byteLength === 0 ? null : view, { status, headers: out });
}

/** A response to send: status, headers (lowercase names) and body (`undefined`: none). */
export interface BytesAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: ResponseBody | undefined;
}

/**
 * Sets a header on the response, one line per member of an array. On Express, with the
 * response's own `setHeader` (Node's `ServerResponse`, which takes a line or an array of lines as
 * they are): `res.set()`, the adapter's way, only converts the value to a string and completes a
 * `Content-Type` charset, so a `Content-Type` still goes through it unless it already has the form
 * `res.set()` keeps as it is (`type/subtype; charset=utf-8`, see {@link isTextAsIsType}). Elsewhere (Fastify's
 * `reply`, which keeps its headers apart from Node's) through the adapter.
 */
export function setResponseHeader(
  adapter: AbstractHttpAdapter,
  response: unknown,
  name: string,
  value: string | readonly string[],
): void {
  setHeaderOn(adapter, adapter.getType() === 'express', response, name, value);
}

/**
 * {@link setResponseHeader}, the adapter's type already known (`express`:
 * `adapter.getType() === 'express'`).
 */
export function setHeaderOn(
  adapter: AbstractHttpAdapter,
  express: boolean,
  response: unknown,
  name: string,
  value: string | readonly string[],
): void {
  if (express && (name !== 'content-type' || (typeof value === 'string' && isTextAsIsType(value)))) {
    const setHeader = (response as { setHeader?: unknown }).setHeader;
    if (typeof setHeader === 'function') {
      (setHeader as (name: string, value: string | readonly string[]) => void).call(response, name, value);
      return;
    }
  }
  if (typeof value === 'string') {
    adapter.setHeader(response, name, value);
    return;
  }
  value.forEach((line, i) => {
    if (i === 0) adapter.setHeader(response, name, line);
    else adapter.appendHeader(response, name, line);
  });
}

/**
 * A `Content-Type` both adapters leave exactly as it is when they send a string: Express's
 * `res.send(string)` re-formats the type with `charset=utf-8` (content-type's `format`: lowercase
 * type, `; charset=utf-8`), a no-op only for a value already in that form, and Fastify appends
 * `; charset=utf-8` to a JSON type that has no charset.
 */
const TEXT_AS_IS_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+; charset=utf-8$/;

/** {@link TEXT_AS_IS_TYPE} of the last types seen: an app sends a handful. */
const textAsIsTypes = new Map<string, boolean>();

/** Whether both adapters send a string under `type` leaving `type` as it is (see {@link TEXT_AS_IS_TYPE}). */
export function isTextAsIsType(type: string): boolean {
  let asIs = textAsIsTypes.get(type);
  if (asIs === undefined) {
    asIs = TEXT_AS_IS_TYPE.test(type);
    if (textAsIsTypes.size >= 64) textAsIsTypes.clear();
    textAsIsTypes.set(type, asIs);
  }
  return asIs;
}

/** The response's `Content-Type` as a string, on Express (`res`) and Fastify (`reply`) alike. */
function contentTypeOf(response: unknown): unknown {
  const getHeader = (response as { getHeader?: unknown }).getHeader;
  return typeof getHeader === 'function'
    ? (getHeader as (name: string) => unknown).call(response, 'content-type')
    : undefined;
}

/**
 * What the interceptor returns so that Nest sends `answer` byte for byte.
 *
 * The common case, a body with the route's own status: the headers go on the response through
 * the adapter, and the value is what the adapter sends unchanged:
 * - A text body whose `Content-Type` already reads `type/subtype; charset=utf-8` (JSON and text
 *   from {@link serializeBody} do) goes as the string, on both adapters: Nest calls Express's
 *   `res.send(string)` or Fastify's `reply.send(string)`, which encode it as UTF-8 and end the
 *   response in one write. No `Buffer` is made for it (on Fastify that cut the garbage
 *   collection per hit by about a quarter here). One exception to know: a per-reply
 *   `reply.serializer()` set by a Fastify hook would be applied to that string.
 * - Any other body: Fastify gets the bytes (`reply.send(buffer)` writes them as they are,
 *   whatever the `Content-Type`); Express a `StreamableFile` of them (Nest's Express reply would
 *   `res.json` a `Buffer`; see {@link expressBytes}), ended in one write.
 *
 * Any other status (a 304, a cached 404) cannot be set that way, as Nest applies the route's
 * status to the value; it goes as a web `Response`, whose status and headers Nest sends as they
 * are (slower too: it is streamed).
 */
export function sendBytes(
  adapter: AbstractHttpAdapter,
  response: unknown,
  routeStatus: number,
  answer: BytesAnswer,
): unknown {
  const { body } = answer;
  if (answer.status !== routeStatus || body === undefined || body.length === 0) {
    return bytesResponse(answer.status, answer.headers, body);
  }
  const express = adapter.getType() === 'express';
  const { headers } = answer;
  for (const name in headers) {
    if (name === 'content-length' || name === 'set-cookie' || !Object.hasOwn(headers, name)) continue;
    setHeaderOn(adapter, express, response, name, headers[name] as string | readonly string[]);
  }
  // Both adapters set Content-Length themselves for a string.
  if (typeof body === 'string') {
    const type = contentTypeOf(response);
    if (typeof type === 'string' && isTextAsIsType(type)) return body;
  }
  const bytes = bodyBytes(body);
  adapter.setHeader(response, 'content-length', String(bytes.byteLength));
  return adapter.getType() === 'fastify' ? bytes : expressBytes(bytes);
}
