import { SYSTEM_CLOCK, type StrataClock } from '../clock/strata-clock.js';
import type { StrataEvents } from '../events/strata-events.js';

/** What started a refresh. */
export type RefreshTrigger = 'swr' | 'early' | 'grace' | 'retry';

/**
 * How a refresh ended: `loaded` (the loader ran and its result was offered to the cache), `hit`
 * (a retry or revalidation found a fresh entry, written by another caller or instance),
 * `dropped` (a retry found no entry left to refresh: it was invalidated or it expired).
 */
export type RefreshOutcome = 'loaded' | 'hit' | 'dropped';

/** The result of a refresh that did not throw. */
export interface RefreshResult<T> {
  readonly outcome: RefreshOutcome;
  /** The value loaded or found; absent when `dropped`. */
  readonly value?: T;
}

/** A settled refresh: refreshes never reject, so nothing they do is ever unhandled. */
export type SettledRefresh<T> =
  { readonly ok: true; readonly result: RefreshResult<T> } | { readonly ok: false; readonly error: unknown };

/** A refresh of one key. */
export interface RefreshTask<T> {
  /** Full key: at most one refresh (running or waiting to retry) per key. */
  readonly key: string;
  /** The key's cache (namespace), for the `refresh` event. */
  readonly cache: string;
  readonly trigger: RefreshTrigger;
  /** Wall-clock ms past which no retry is scheduled (the end of the entry's stale window). */
  readonly retryUntil: number;
  /** Runs it; `retry` is set for a scheduled retry, which checks the cache again first. */
  run(retry: boolean): Promise<RefreshResult<T>>;
}

/** Backoff of retries. */
export interface RetryPolicy {
  /** Delay before the first retry; doubles for each next one. */
  readonly delayMs: number;
  /** Most retries after a failure. */
  readonly maxAttempts: number;
}

/**
 * Background refreshes (stale-while-revalidate, early refresh, loads that went on past a soft
 * timeout) and their retries with exponential backoff, at most one per key at a time. Every
 * refresh is tracked until it settles, errors become `refresh` events, and {@link drain}
 * (from `CacheStack.close`) clears retry timers and waits for refreshes in flight.
 */
export class RefreshScheduler<T> {
  private readonly running = new Map<string, Promise<SettledRefresh<T>>>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly events: StrataEvents,
    private readonly retry: RetryPolicy,
    private readonly clock: StrataClock = SYSTEM_CLOCK,
  ) {}

  /** Whether `key` has a refresh running or a retry waiting. */
  isBusy(key: string): boolean {
    return this.running.has(key) || this.retries.has(key);
  }

  /** Whether a retry of `key` waits for its backoff: reads should not call the loader meanwhile. */
  isBackingOff(key: string): boolean {
    return this.retries.has(key);
  }

  /**
   * Starts `task`, or returns the refresh already running for its key. `undefined` when a retry
   * of the key waits for its backoff, or after {@link drain}.
   */
  start(task: RefreshTask<T>, attempt = 0): Promise<SettledRefresh<T>> | undefined {
    const running = this.running.get(task.key);
    if (running !== undefined) return running;
    if (this.closed || this.retries.has(task.key)) return undefined;
    const promise = this.execute(task, attempt);
    this.running.set(task.key, promise);
    return promise;
  }

  /** Stops scheduling, clears retry timers and waits for the refreshes in flight. Idempotent. */
  async drain(): Promise<void> {
    this.closed = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    await Promise.all(this.running.values());
  }

  private async execute(task: RefreshTask<T>, attempt: number): Promise<SettledRefresh<T>> {
    const started = performance.now();
    let settled: SettledRefresh<T>;
    try {
      // Started on the next microtask: `start` registers this refresh before it can settle.
      settled = { ok: true, result: await Promise.resolve(attempt > 0).then((retry) => task.run(retry)) };
    } catch (error) {
      settled = { ok: false, error };
    }
    this.running.delete(task.key);
    const retryInMs = settled.ok ? undefined : this.scheduleRetry(task, attempt + 1);
    if (this.events.has('refresh')) {
      this.events.emit('refresh', {
        cache: task.cache,
        key: task.key,
        trigger: attempt > 0 ? 'retry' : task.trigger,
        attempt,
        durationMs: performance.now() - started,
        outcome: settled.ok ? settled.result.outcome : 'error',
        error: settled.ok ? undefined : toError(settled.error),
        retryInMs,
      });
    }
    return settled;
  }

  /** Schedules retry number `attempt`; returns its delay, or `undefined` when none is. */
  private scheduleRetry(task: RefreshTask<T>, attempt: number): number | undefined {
    if (this.closed || attempt > this.retry.maxAttempts || this.retries.has(task.key)) return undefined;
    const delayMs = this.retry.delayMs * 2 ** (attempt - 1);
    if (this.clock.now() + delayMs >= task.retryUntil) return undefined;
    const timer = setTimeout(() => {
      this.retries.delete(task.key);
      // Tracked in `running` until it settles (drain waits for it); it never rejects.
      void this.start(task, attempt);
    }, delayMs);
    // Retries are best effort: they never keep the process alive.
    timer.unref();
    this.retries.set(task.key, timer);
    return delayMs;
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
