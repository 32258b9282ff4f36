/**
 * The requests an `HttpCacheInterceptor` (of any subclass, module or copy of this package)
 * already handles. Kept beside the request, not on it: a property added to each request would
 * change the shape of the adapter's request objects and slow every later access to them.
 */
const HANDLED_KEY = Symbol.for('strata:http-cache-handled-requests');
const handled: WeakSet<object> = ((): WeakSet<object> => {
  const registry = globalThis as { [HANDLED_KEY]?: WeakSet<object> };
  return (registry[HANDLED_KEY] ??= new WeakSet<object>());
})();

/** `true` when another interceptor already handles `req`; otherwise marks it as handled now. */
export function claimRequest(req: object): boolean {
  if (handled.has(req)) return true;
  handled.add(req);
  return false;
}
