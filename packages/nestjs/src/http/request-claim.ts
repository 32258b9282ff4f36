/**
 * The requests an `HttpCacheInterceptor` (of any subclass, module or copy of this package)
 * already handles. Kept beside the request, not on it: a property added to each request would
 * change the shape of the adapter's request objects and slow every later access to them.
 *
 * A request is marked only when the interceptor passes it on to the rest of the pipeline
 * (`next.handle()`), the one way a second interceptor bound to the same route (the module's global
 * binding and `useGlobalInterceptors` or `@UseInterceptors`) can see it: a hit, answered without
 * `next`, adds nothing to the set.
 *
 * @module
 */
import type { CallHandler } from '@nestjs/common';
import type { Observable } from 'rxjs';

const HANDLED_KEY = Symbol.for('strata:http-cache-handled-requests');
const handled: WeakSet<object> = ((): WeakSet<object> => {
  const registry = globalThis as { [HANDLED_KEY]?: WeakSet<object> };
  return (registry[HANDLED_KEY] ??= new WeakSet<object>());
})();

/** `true` when an outer interceptor passed `req` on: this one is nested in its pipeline. */
export function isClaimed(req: object): boolean {
  return handled.has(req);
}

/** Marks `req` as handled, then runs the rest of the pipeline. */
export function passOn(req: object, next: CallHandler): Observable<unknown> {
  handled.add(req);
  return next.handle();
}

/** `next`, marking `req` as handled when (and each time) the rest of the pipeline is run. */
export function claimingHandler(req: object, next: CallHandler): CallHandler {
  return { handle: () => passOn(req, next) };
}
