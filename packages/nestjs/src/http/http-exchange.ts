/**
 * What the interceptor reads from a request and a response, on Express and Fastify alike, and
 * what it reads from a route's Nest metadata.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type ExecutionContext, HttpStatus, RequestMethod, type Type } from '@nestjs/common';
import {
  HTTP_CODE_METADATA,
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { HttpScheme } from './http-cache-key.js';
import type { HeaderValue } from './http-headers.js';

/**
 * A route handler, as `ExecutionContext.getHandler()` gives it. Nest types it loosely; it serves
 * here only as a metadata target and a lookup key, and is never called.
 */
export type RouteHandler = ReturnType<ExecutionContext['getHandler']>;

/** A controller class, as `ExecutionContext.getClass()` gives it. */
export type RouteController = Type<unknown>;

/** `@Res()` and `@Next()`: a handler taking either sends the response itself (unless `passthrough`). */
const SELF_RESPONDING_PARAMS: ReadonlySet<number> = new Set([RouteParamtypes.RESPONSE, RouteParamtypes.NEXT]);

/** The request fields both adapters have (`originalUrl`: Express, and Fastify since v4). */
export interface ExchangeRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  readonly originalUrl?: string;
  /** The query as the adapter parsed it: what `@Query()` hands the handler. */
  readonly query?: unknown;
  /** The connection (Express `req.socket`, Fastify `request.socket`): TLS or not. */
  readonly socket?: unknown;
}

/** The response fields both adapters have (Express `res`, Fastify `reply`). */
export interface ExchangeResponse {
  getHeaders(): Readonly<Record<string, HeaderValue>>;
}

/**
 * The request target as received (path and query, not decoded): `originalUrl`, which routing and
 * mounting leave alone on both adapters.
 */
export function requestTarget(req: ExchangeRequest): string {
  return req.originalUrl ?? req.url;
}

/**
 * The scheme of the connection the request came on: `https` over TLS, else `http`. Not
 * `req.protocol`, which trusts `X-Forwarded-Proto` when the app trusts proxies (that header is an
 * unkeyed one: it bypasses the cache or enters the key, see `unkeyedHeaders`).
 */
export function requestScheme(req: ExchangeRequest): HttpScheme {
  const socket = req.socket;
  return typeof socket === 'object' && socket !== null && 'encrypted' in socket && socket.encrypted === true
    ? 'https'
    : 'http';
}

/**
 * The status Nest sends for a handler's value: its `@HttpCode()`, else 201 for POST and 200
 * otherwise (Nest's own rule; a status set on the response object is overridden by it).
 */
export function routeStatus(handler: RouteHandler, method: string): number {
  const code: unknown = Reflect.getMetadata(HTTP_CODE_METADATA, handler);
  if (typeof code === 'number') return code;
  return method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK;
}

/**
 * True when the handler sends the response itself: `@Res()` or `@Next()` without
 * `passthrough`. Its value never reaches the interceptor as a response, so it is never cached.
 */
export function sendsItsOwnResponse(controller: RouteController, handler: RouteHandler): boolean {
  const args: unknown = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name);
  if (args === null || typeof args !== 'object') return false;
  const own = Object.keys(args).some((key) => SELF_RESPONDING_PARAMS.has(Number(key.split(':')[0])));
  return own && Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, handler.name) !== true;
}

/** The methods whose 2xx answer invalidates the cached GETs of their path. */
export const INVALIDATING_METHODS: ReadonlySet<string> = new Set([
  RequestMethod[RequestMethod.POST],
  RequestMethod[RequestMethod.PUT],
  RequestMethod[RequestMethod.PATCH],
  RequestMethod[RequestMethod.DELETE],
]);
