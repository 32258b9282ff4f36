import type { CircuitState } from '../circuit-breaker/circuit-breaker.js';

/** Which layer an event concerns. */
export type CacheLayerName = 'l1' | 'l2';

/**
 * Payloads of the events a `CacheStack` (and the strategies bound to it) emit, by event name.
 *
 * `cache` is the cache an entry belongs to: its namespace, which for a named cache
 * (`StrataModule.forFeature`) is the cache's name, and `default` for entries stored without a
 * namespace. `key` is the full key (`<prefix>:<namespace>:<key>`). Everything else that happens
 * below the entries (Redis errors, the breaker, the bus) concerns the whole stack and carries no
 * cache. See docs/observability.md.
 */
export interface StrataEventMap {
  /** A read found a live entry, in `layer`. */
  hit: { cache: string; key: string; layer: CacheLayerName };
  /** A read found no live entry in any layer (a load follows on `getOrLoad`). */
  miss: { cache: string; key: string };
  /**
   * A read got an expired entry from `layer` (inside its `staleWhileRevalidate` or `grace`
   * window): `swr` (a background refresh replaces it), `error` (the loader failed, or a retry
   * waits for its backoff), `timeout` (the loader passed its soft or hard timeout).
   */
  stale: { cache: string; key: string; layer: CacheLayerName; reason: 'swr' | 'error' | 'timeout' };
  /** A loader starts (on a miss, or in a refresh). */
  'load:start': { cache: string; key: string };
  /** A loader finished: how long it ran and whether it returned or threw. */
  load: { cache: string; key: string; durationMs: number; outcome: 'success' | 'error' };
  /**
   * A background refresh settled (stale-while-revalidate, early refresh, a load that went on past
   * a soft timeout, or a retry). `retryInMs`: when the next retry runs, if one was scheduled.
   */
  refresh: {
    cache: string;
    key: string;
    trigger: 'swr' | 'early' | 'grace' | 'retry';
    attempt: number;
    durationMs: number;
    outcome: 'loaded' | 'hit' | 'dropped' | 'error';
    error: Error | undefined;
    retryInMs: number | undefined;
  };
  /**
   * A value was not stored: its encoded form has `bytes` UTF-8 bytes, over `maxValueBytes`.
   * `operation: 'load'`: a load's result, returned to its callers uncached; `'set'`: a set, which
   * evicted the key and threw `ValueTooLargeError`.
   */
  'value:too-large': {
    cache: string;
    key: string;
    bytes: number;
    maxBytes: number;
    operation: 'set' | 'load';
  };
  /**
   * An entry in Redis could not be read, and the read was a miss (the loader runs): `tampered`
   * (an encrypted value failed authentication: changed, moved to another key, or under another
   * key of the same id), `unknown-key` (encrypted under a master key not listed in
   * `encryption.keys`), `unencrypted` (a sensitive read found an entry stored in clear),
   * `corrupt` (compressed bytes that do not inflate), `unknown-kind` (a value kind this release
   * does not know, written by a newer one).
   */
  'entry:unreadable': {
    cache: string;
    key: string;
    reason: 'unknown-kind' | 'unknown-key' | 'tampered' | 'corrupt' | 'unencrypted';
  };
  /** A value was stored by `set` (not by a load: see `load`). */
  set: { cache: string; key: string };
  /** Keys of one cache were deleted. */
  delete: { cache: string; keys: readonly string[] };
  /** Every entry carrying one of `tags` was invalidated. */
  'invalidate:tags': { tags: readonly string[] };
  /** Every entry of a cache (namespace) was invalidated. */
  'invalidate:namespace': { cache: string };
  /** An L2 (Redis) operation failed; the call fell back. */
  'l2:error': { operation: string; error: Error };
  /** The invalidation bus subscription dropped (L1 cleared, entries short-lived) or is back. */
  'bus:state': { connected: boolean };
  /**
   * A message on the bus channel was not of a layout this release reads (malformed, another
   * publisher, a newer release): the L1 copies of the keys and tags it still names were dropped.
   */
  'bus:rejected': { reason: string };
  /** The L2 circuit breaker changed state: `open` (Redis skipped), `half-open`, `closed` (in use). */
  'breaker:state': { state: CircuitState };
  /** A write-behind cache journaled a write (`set`, `delete` or an `increment` delta). */
  'write-behind:enqueued': { cache: string; key: string; kind: 'set' | 'delete' | 'increment' };
  /** A write-behind batch reached the writer. */
  'write-behind:flushed': { cache: string; size: number; durationMs: number };
  /** A write-behind record failed and will be retried. */
  'write-behind:retry': { cache: string; key: string; attempt: number; error: Error };
  /**
   * A write-behind record failed `maxAttempts` times, or a journal entry was unreadable, and was
   * set aside as the dead letter `id` (see `listDeadLetters`); `version` 0 when unreadable.
   */
  'write-behind:dead-letter': { cache: string; key: string; version: number; id: string; error: Error };
  /** Write-behind records still pending when shutdown gave up waiting (memory journal: lost). */
  'write-behind:abandoned': { cache: string; count: number };
  /**
   * `HttpCacheInterceptor` answered a request from or into the cache. `route`: the route's path
   * pattern (`/products/:id`), never the URL; `result`: the `X-Cache` it sent; `notModified`: the
   * answer was a 304.
   */
  'http:response': {
    route: string;
    method: string;
    result: 'hit' | 'miss' | 'stale';
    notModified: boolean;
  };
}

/** Name of a Strata event. */
export type StrataEventName = keyof StrataEventMap;
