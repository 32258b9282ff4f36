/**
 * Running a handler again for a response that was already sent, without touching it.
 *
 * A `stale-while-revalidate` refresh runs the route's handler through the request's own pipeline
 * (`next.handle()`), so its pipes, inner interceptors and parameters are the usual ones. Nest
 * binds the handler's `@Res({ passthrough: true })` to the real response object, though, and
 * the stale answer has been sent by then (on Express, setting a header after that throws). So the
 * refresh waits until the response is finished, then shadows the header methods of the response
 * object with a private header map for the time the handler runs: what the handler sets is
 * captured into the cache and never reaches the connection.
 *
 * @module
 */
import type { HeaderValue } from './http-headers.js';

interface Emitter {
  readonly writableFinished?: boolean;
  readonly destroyed?: boolean;
  once(event: string, listener: () => void): unknown;
}

/** The Node response under an adapter's response object (Fastify's `reply.raw`, else itself). */
function rawResponse(res: object): Emitter {
  const raw: unknown = (res as { raw?: unknown }).raw;
  return (typeof raw === 'object' && raw !== null ? raw : res) as Emitter;
}

/** Resolves once the response has been sent, or its connection closed. */
export function responseDone(res: object): Promise<void> {
  const raw = rawResponse(res);
  if (raw.writableFinished === true || raw.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    raw.once('finish', resolve);
    raw.once('close', resolve);
  });
}

/** Header methods of Node's `ServerResponse` (Express) and Fastify's `reply`. */
const HEADER_METHODS = [
  'setHeader',
  'appendHeader',
  'header',
  'headers',
  'getHeader',
  'getHeaders',
  'getHeaderNames',
  'hasHeader',
  'removeHeader',
] as const;

type Headers = Map<string, HeaderValue>;

function shadows(
  headers: Headers,
  self: object,
): Record<(typeof HEADER_METHODS)[number], (...args: never[]) => unknown> {
  const set = (name: string, value: HeaderValue): object => {
    headers.set(name.toLowerCase(), value);
    return self;
  };
  return {
    setHeader: set,
    header: set,
    appendHeader: (name: string, value: string | readonly string[]): object => {
      const before = headers.get(name.toLowerCase());
      const lines = before === undefined ? [] : typeof before === 'object' ? [...before] : [String(before)];
      return set(name, [...lines, ...(typeof value === 'string' ? [value] : value)]);
    },
    headers: (all: Readonly<Record<string, HeaderValue>>): object => {
      for (const [name, value] of Object.entries(all)) set(name, value);
      return self;
    },
    getHeader: (name: string): HeaderValue => headers.get(name.toLowerCase()),
    getHeaders: (): Record<string, HeaderValue> => Object.fromEntries(headers),
    getHeaderNames: (): string[] => [...headers.keys()],
    hasHeader: (name: string): boolean => headers.has(name.toLowerCase()),
    removeHeader: (name: string): object => {
      headers.delete(name.toLowerCase());
      return self;
    },
  };
}

/**
 * Runs `run` once `res` has been sent, with the header methods of `res` reading and writing a
 * private copy of `initial` (the headers the response had before the cache answered it). Call
 * it only for a response that is being sent: it waits for it to finish.
 */
export async function afterResponseDetached<T>(
  res: object,
  initial: Readonly<Record<string, HeaderValue>>,
  run: () => Promise<T>,
): Promise<T> {
  await responseDone(res);
  const target = res as Record<string, unknown>;
  const headers: Headers = new Map(
    Object.entries(initial).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const replaced = shadows(headers, res);
  const own = new Map<string, PropertyDescriptor | undefined>();
  for (const name of HEADER_METHODS) {
    if (typeof target[name] !== 'function') continue;
    own.set(name, Object.getOwnPropertyDescriptor(res, name));
    Object.defineProperty(res, name, { value: replaced[name], configurable: true, writable: true });
  }
  try {
    return await run();
  } finally {
    for (const [name, descriptor] of own) {
      if (descriptor === undefined) Reflect.deleteProperty(res, name);
      else Object.defineProperty(res, name, descriptor);
    }
  }
}

/**
 * Puts the headers of `res` back to `snapshot`: removes the ones added since, resets the ones
 * changed. For a response about to be answered from the cache after its handler ran (stale if
 * error): the failed handler's headers must not go out with the stored response.
 */
export function restoreHeaders(
  res: object,
  snapshot: Readonly<Record<string, HeaderValue>>,
  setHeader: (name: string, value: string | readonly string[]) => void,
): void {
  const target = res as {
    getHeaders(): Readonly<Record<string, HeaderValue>>;
    removeHeader(name: string): unknown;
  };
  for (const [name, value] of Object.entries(target.getHeaders())) {
    const before = snapshot[name];
    if (before === undefined) target.removeHeader(name);
    else if (before !== value) setHeader(name, typeof before === 'number' ? String(before) : before);
  }
}
