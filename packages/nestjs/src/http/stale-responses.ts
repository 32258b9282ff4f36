/**
 * Stale responses (RFC 5861): when a stored response may still be served past its freshness,
 * how long it is kept, which failures `stale-if-error` covers, and the background refreshes of
 * `stale-while-revalidate`.
 *
 * Why the interceptor keeps its own windows instead of the core's grace / SWR of `getOrLoad`:
 * its entries are written with `CacheStack.set` (two-stage Vary entries, a store decision made
 * after the handler ran), and its "loader" is the handler of one request, bound to that
 * request's response object, not a function the core could call again on its own. So an entry is
 * stored for `ttl + max(staleWhileRevalidate, staleIfError)` with `freshUntil` inside it, and
 * the interceptor decides at lookup what a stale entry may be used for. Tag invalidation drops
 * the whole entry, so an invalidated page is never served stale.
 *
 * @module
 */
import { HttpException } from '@nestjs/common';
import type { HttpCacheRoutePolicy } from './http-cache.options.js';
import type { StoredResponse } from './stored-response.js';

/**
 * What a stored response may be used for now.
 *
 * - `fresh`: a hit.
 * - `revalidate`: inside `staleWhileRevalidate`: served stale at once, refreshed in the background.
 * - `if-error`: inside `staleIfError` only: the handler runs; served stale if it fails.
 * - `expired`: past every window: a miss.
 */
export type Freshness = 'fresh' | 'revalidate' | 'if-error' | 'expired';

/** The {@link Freshness} of `stored` under `policy` at `now` (ms since the epoch). */
export function freshness(stored: StoredResponse, policy: HttpCacheRoutePolicy, now: number): Freshness {
  const { freshUntil } = stored;
  if (freshUntil === undefined || now < freshUntil) return 'fresh';
  const swr = policy.staleWhileRevalidateMs;
  if (swr !== undefined && now < freshUntil + swr) return 'revalidate';
  const sie = policy.staleIfErrorMs;
  if (sie !== undefined && now < freshUntil + sie) return 'if-error';
  return 'expired';
}

/** How long an entry fresh for `ttlMs` stays in the store: its freshness and the longer stale window. */
export function storedLifetimeMs(policy: HttpCacheRoutePolicy, ttlMs: number): number {
  return ttlMs + Math.max(policy.staleWhileRevalidateMs ?? 0, policy.staleIfErrorMs ?? 0);
}

/**
 * True for a handler failure that `staleIfError` covers: any error except an `HttpException`
 * below 500 (a 404 or a 403 is the handler's answer, not a failure).
 */
export function isServerError(error: unknown): boolean {
  return !(error instanceof HttpException) || error.getStatus() >= 500;
}

/** True for an answer (a `BytesAnswer`, a web `Response`) with a 5xx status. */
export function failedStatus(answer: unknown): boolean {
  if (answer === null || typeof answer !== 'object') return false;
  const status: unknown = (answer as { status?: unknown }).status;
  return typeof status === 'number' && status >= 500;
}

/**
 * `stale-if-error`: the result of `load`, or `stale()` when it throws a server error (see
 * {@link isServerError}) or `failed` says its result is one. Other errors propagate.
 */
export async function staleOnError<T>(
  load: () => Promise<T>,
  failed: (result: T) => boolean,
  stale: () => T,
): Promise<T> {
  let result: T;
  try {
    result = await load();
  } catch (error) {
    if (!isServerError(error)) throw error;
    return stale();
  }
  return failed(result) ? stale() : result;
}

/**
 * The background refreshes in progress, at most one per key, every one tracked so that
 * {@link StaleRefreshes.drain} can wait for them at shutdown. A refresh's failure is reported to
 * `onError` and never rejects anything else: the stale entry simply stays until its window ends.
 */
export class StaleRefreshes {
  private readonly running = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  /**
   * Starts `run` as the refresh of `key` unless one is running or the refreshes were closed;
   * true when it started.
   */
  start(key: string, run: () => Promise<void>): boolean {
    if (this.closed || this.running.has(key)) return false;
    // Started in a microtask: it is registered before it can settle, even if run() throws at once.
    const refresh = Promise.resolve()
      .then(run)
      .catch(this.onError)
      .finally(() => this.running.delete(key));
    this.running.set(key, refresh);
    return true;
  }

  /** Refuses new refreshes and waits for every running one to settle. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Number of refreshes in progress (for tests and metrics). */
  get size(): number {
    return this.running.size;
  }
}
