import { defer, EMPTY, from, mergeMap, of, type Observable } from 'rxjs';
import { NO_VALUE } from './method-result.js';

/**
 * An Observable that `await` also accepts. The call starts at once, as a Promise's would: the
 * declared type was erased, so this may be a `(): void` method whose caller never awaits or
 * subscribes, and it must still run (and evict). `then` and the first subscription share that
 * run; each later subscription runs the call again, as a cold Observable would (`retry` works).
 */
export function thenableObservable(
  run: () => Promise<unknown>,
): Observable<unknown> & PromiseLike<unknown> & Pick<Promise<unknown>, 'catch' | 'finally'> {
  let first: Promise<unknown> | undefined = run();
  const settled = first;
  let promise: Promise<unknown> | undefined;
  const once = (): Promise<unknown> =>
    (promise ??= settled.then((value) => (value === NO_VALUE ? undefined : value)));
  const observable = defer(() => {
    const current = first ?? run();
    first = undefined;
    return from(current);
  }).pipe(mergeMap((value) => (value === NO_VALUE ? EMPTY : of(value))));
  return Object.assign(observable, {
    then: <A = unknown, B = never>(
      onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
      onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): Promise<A | B> => once().then(onFulfilled, onRejected),
    catch: <B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<unknown> =>
      once().catch(onRejected),
    finally: (onFinally?: (() => void) | null): Promise<unknown> => once().finally(onFinally),
  });
}
