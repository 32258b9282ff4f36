import { LoaderTimeoutError } from '../errors/loader-timeout.error.js';

/** What {@link waitAtMost} returns when its time is up first. */
export const TIMED_OUT: unique symbol = Symbol('strata:timed-out');

/**
 * Waits for `promise` at most `ms` (for ever when `undefined`). The promise goes on either way;
 * the timer is cleared as soon as one side wins.
 */
export async function waitAtMost<T>(
  promise: Promise<T>,
  ms: number | undefined,
): Promise<T | typeof TIMED_OUT> {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(resolve, ms, TIMED_OUT);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `loader` and rejects with {@link LoaderTimeoutError} if it has not settled after `ms`.
 * A loader cannot be cancelled: it goes on, and what it settles with later is ignored (handled,
 * so a late rejection is never unhandled).
 */
export async function callWithin<T>(loader: () => T | Promise<T>, ms: number, key: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const call = (async () => loader())();
  try {
    return await Promise.race([
      call,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LoaderTimeoutError(key, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
