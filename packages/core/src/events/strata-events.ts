import { EventEmitter } from 'node:events';
import type { CircuitState } from '../circuit-breaker/circuit-breaker.js';

/** Which layer an event concerns. */
export type CacheLayerName = 'l1' | 'l2';

/** Payloads of the events a `CacheStack` emits, by event name. */
export interface StrataEventMap {
  /** A read found a live entry. */
  hit: { key: string; layer: CacheLayerName };
  /** A read found no live entry in any layer. */
  miss: { key: string };
  /** A loader ran on a miss. */
  load: { key: string; durationMs: number; outcome: 'success' | 'error' };
  /**
   * A read got an expired entry (inside its `staleWhileRevalidate` or `grace` window): `swr`
   * (a background refresh replaces it), `error` (the loader failed, or a retry waits for its
   * backoff), `timeout` (the loader passed its soft or hard timeout).
   */
  stale: { key: string; reason: 'swr' | 'error' | 'timeout' };
  /**
   * A background refresh settled (stale-while-revalidate, early refresh, a load that went on past
   * a soft timeout, or a retry). `retryInMs`: when the next retry runs, if one was scheduled.
   */
  refresh: {
    key: string;
    trigger: 'swr' | 'early' | 'grace' | 'retry';
    attempt: number;
    durationMs: number;
    outcome: 'loaded' | 'hit' | 'dropped' | 'error';
    error: Error | undefined;
    retryInMs: number | undefined;
  };
  /** An L2 (Redis) operation failed; the call fell back. */
  'l2:error': { operation: string; error: Error };
  /** The invalidation bus subscription dropped (L1 cleared, entries short-lived) or is back. */
  'bus:state': { connected: boolean };
  /** The L2 circuit breaker changed state. */
  'breaker:state': { state: CircuitState };
  /** A write-behind batch reached the writer. */
  'write-behind:flushed': { cache: string; size: number; durationMs: number };
  /** A write-behind record failed and will be retried. */
  'write-behind:retry': { cache: string; key: string; attempt: number; error: Error };
  /** A write-behind record failed `maxAttempts` times and was set aside. */
  'write-behind:dead-letter': { cache: string; key: string; version: number; error: Error };
  /** Write-behind records still pending when shutdown gave up waiting (memory journal: lost). */
  'write-behind:abandoned': { cache: string; count: number };
}

/** Name of a Strata event. */
export type StrataEventName = keyof StrataEventMap;

/**
 * Typed events of a `CacheStack`, for logs and metrics. Emitting costs one property read when
 * nobody listens to that event.
 *
 * @example stack.events.on('l2:error', ({ operation, error }) => logger.warn(`${operation}: ${error.message}`));
 */
export class StrataEvents {
  private readonly emitter = new EventEmitter();
  private readonly listened: Partial<Record<StrataEventName, boolean>> = {};

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends StrataEventName>(event: E, listener: (payload: StrataEventMap[E]) => void): () => void {
    this.emitter.on(event, listener);
    this.listened[event] = true;
    return () => {
      this.emitter.off(event, listener);
      this.listened[event] = this.emitter.listenerCount(event) > 0;
    };
  }

  /** Whether anyone listens to `event` (lets callers skip building a payload). */
  has(event: StrataEventName): boolean {
    return this.listened[event] === true;
  }

  /** Emits an event to its listeners, if any. */
  emit<E extends StrataEventName>(event: E, payload: StrataEventMap[E]): void {
    if (this.listened[event] === true) this.emitter.emit(event, payload);
  }

  /** Removes every listener (at shutdown). */
  clear(): void {
    this.emitter.removeAllListeners();
    for (const key of Object.keys(this.listened)) this.listened[key as StrataEventName] = false;
  }
}
