import { UncacheableValueError } from '@strata/core';
import { isObservable, lastValueFrom } from 'rxjs';

/** Marks "the Observable completed without a value": nothing to cache, nothing to emit. */
export const NO_VALUE: unique symbol = Symbol('strata:no-value');

/**
 * Turns what a decorated method returned into the value to cache: awaits a Promise, takes the
 * last value of an Observable, and rejects what cannot be cached (streams, functions) with an
 * error naming the method. An Observable that completes without a value gives `empty`
 * ({@link NO_VALUE} unless the caller wants a Promise, which then resolves to `undefined`).
 */
export async function settleResult(
  result: unknown,
  target: string,
  empty: unknown = NO_VALUE,
): Promise<unknown> {
  const value: unknown = isObservable(result)
    ? await lastValueFrom(result, { defaultValue: empty })
    : await result;
  assertCacheable(value, target);
  return value;
}

function assertCacheable(value: unknown, target: string): void {
  if (typeof value === 'function') throw new UncacheableValueError(target, 'it is a function');
  if (value === null || typeof value !== 'object') return;
  if (isObservable(value)) throw new UncacheableValueError(target, 'it resolves to an Observable');
  const candidate = value as { pipe?: unknown; getStream?: unknown; getReader?: unknown };
  if (
    typeof candidate.pipe === 'function' ||
    typeof candidate.getStream === 'function' ||
    typeof candidate.getReader === 'function'
  ) {
    throw new UncacheableValueError(
      target,
      'it is a stream; cache the data, or use HTTP caching for responses',
    );
  }
}
