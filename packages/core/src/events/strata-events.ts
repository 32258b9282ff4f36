import type { StrataEventMap, StrataEventName } from './strata-event-map.js';

export type { CacheLayerName, StrataEventMap, StrataEventName } from './strata-event-map.js';

/** A listener of event `E`. A returned promise is watched for rejection, never awaited. */
export type StrataListener<E extends StrataEventName> = (payload: StrataEventMap[E]) => unknown;

/**
 * Where a listener's error goes (the first one of each listener and event only: a listener that
 * throws on every event must not flood the log). Nest apps get the Nest `Logger`.
 */
export type ListenerErrorHandler = (error: unknown, event: StrataEventName) => void;

/** One subscription; `reported`: its first error was handed to the error handler. */
interface Subscription {
  readonly listener: (payload: never) => unknown;
  reported: boolean;
}

const warnOnce: ListenerErrorHandler = (error, event) => {
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(
    `A listener of the Strata "${event}" event threw (its later errors are not reported): ${message}`,
    { code: 'STRATA_LISTENER_ERROR' },
  );
};

/**
 * Typed events of a `CacheStack`, for logs, metrics and traces (the list: {@link StrataEventMap},
 * docs/observability.md). Emitting costs one property read when nobody listens to that event,
 * so emitters check {@link StrataEvents.has} before building a payload.
 *
 * Listeners run synchronously inside the cache call, and are isolated from it: an error a
 * listener throws (or a promise it returns that rejects) never reaches the cache call; the first
 * one of each listener and event goes to the handler set by
 * {@link StrataEvents.handleListenerErrors} (a process warning by default), and all are counted
 * in {@link StrataEvents.listenerErrors}.
 *
 * @example stack.events.on('l2:error', ({ operation, error }) => logger.warn(`${operation}: ${error.message}`));
 */
export class StrataEvents {
  // One array per event, replaced (never mutated) on subscribe and unsubscribe, so an emit in
  // progress keeps the list it started with. `undefined` when empty: `has` is one property read.
  private readonly lists: { [E in StrataEventName]?: readonly Subscription[] } = {};
  private onError: ListenerErrorHandler = warnOnce;
  private errors = 0;

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends StrataEventName>(event: E, listener: StrataListener<E>): () => void {
    const subscription: Subscription = { listener, reported: false };
    this.lists[event] = [...(this.lists[event] ?? []), subscription];
    return () => {
      const rest = (this.lists[event] ?? []).filter((s) => s !== subscription);
      this.lists[event] = rest.length === 0 ? undefined : rest;
    };
  }

  /** Whether anyone listens to `event` (lets callers skip building a payload). */
  has(event: StrataEventName): boolean {
    return this.lists[event] !== undefined;
  }

  /** Emits an event to its listeners, if any; never throws what a listener throws. */
  emit<E extends StrataEventName>(event: E, payload: StrataEventMap[E]): void {
    const list = this.lists[event];
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      const subscription = list[i] as Subscription;
      try {
        const result = (subscription.listener as StrataListener<E>)(payload);
        if (result !== undefined && isThenable(result))
          result.then(undefined, (error: unknown) => this.failed(subscription, event, error));
      } catch (error) {
        this.failed(subscription, event, error);
      }
    }
  }

  /**
   * Sets where listener errors are reported (the first of each listener and event).
   *
   * @example stack.events.handleListenerErrors((error, event) => logger.error(`${event} listener: ${String(error)}`));
   */
  handleListenerErrors(handler: ListenerErrorHandler): void {
    this.onError = handler;
  }

  /** Errors thrown (or rejected) by listeners so far, reported or not. */
  get listenerErrors(): number {
    return this.errors;
  }

  /** Removes every listener (at shutdown). */
  clear(): void {
    for (const event of Object.keys(this.lists) as StrataEventName[]) this.lists[event] = undefined;
  }

  private failed(subscription: Subscription, event: StrataEventName, error: unknown): void {
    this.errors++;
    if (subscription.reported) return;
    subscription.reported = true;
    try {
      this.onError(error, event);
    } catch {
      // A failing error handler must not reach the cache call either.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
