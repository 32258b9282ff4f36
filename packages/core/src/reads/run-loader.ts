import { deepFreeze, encodeValue } from '../codec/value.codec.js';
import { bytesOver } from '../codec/value-size.js';
import { ValueTooLargeError } from '../errors/value-too-large.error.js';
import { tooLarge } from '../writes/write-path.js';
import { callWithin } from './loader-timeouts.js';
import { AdoptedValue } from '../migration/legacy-adoption.js';
import { cacheOfEntry } from '../events/entry-cache.js';
import { mergeDependencies } from '../dependencies/dependency-tracker.js';
import { STRATA_SPANS, withSpan } from '../tracing/strata-tracing.js';
import type { Tiers } from '../tiers/tiers.js';
import type { EntryWriter } from '../writes/entry-writer.js';
import type { LoaderTokens, LoadRequest } from './load-request.js';
import type { Loaded } from './read-path.types.js';

/**
 * Runs a loader (bounded by the policy's `hardTimeout`), then offers what it returned to the cache
 * with the tokens taken before it ran, its stale window and its load time (for early refresh).
 * `undefined`, values `shouldCache` refuses, and values over `maxValueBytes` (reported by the
 * `value:too-large` event) are returned but not stored.
 */
export async function runLoader(
  tiers: Tiers,
  writer: EntryWriter,
  request: LoadRequest,
  tokens: LoaderTokens,
): Promise<Loaded> {
  const { full, loader, options, policy, tagKeys } = request;
  const { events, keys, tracker, guard } = tiers;
  const { l1, l2, lease, budget } = tokens;
  const cache = cacheOfEntry(keys.prefix, full);
  if (events.has('load:start')) events.emit('load:start', { cache, key: full });
  const started = performance.now();
  let value: unknown;
  let tags = tagKeys;
  const bounded = (): unknown =>
    policy.hardTimeoutMs === undefined ? loader() : callWithin(loader, policy.hardTimeoutMs, full);
  // The loader runs in its operation's async context: cache calls it makes share its Redis time.
  const untraced = (): unknown =>
    guard === undefined || budget === undefined
      ? bounded()
      : // eslint-disable-next-line @typescript-eslint/require-await
        guard.enter(async () => bounded(), budget);
  try {
    // The span is active while the loader runs: its own spans (a query) nest under it.
    const call = (): Promise<unknown> =>
      // async: a loader that throws synchronously becomes a rejection, as an async loader's would.
      // eslint-disable-next-line @typescript-eslint/require-await
      withSpan(STRATA_SPANS.load, { 'strata.cache': cache, 'strata.key': full }, async () => untraced());
    if (tracker.active) {
      // Inside a tracked computation (an HTTP page): what this loader reads through the stack
      // becomes the entry's dependencies too, so a later hit hands them to the page that reads it.
      const collected = await tracker.collect(call);
      value = collected.value;
      if (collected.dependencies.length > 0) tags = mergeDependencies(tagKeys, collected.dependencies);
    } else {
      value = await call();
    }
  } catch (error) {
    events.emit('load', { cache, key: full, durationMs: performance.now() - started, outcome: 'error' });
    throw error;
  }
  // A legacy entry adopted instead of loading (`migrateFrom`) lives no longer than it had left.
  let remainingMs: number | undefined;
  if (value instanceof AdoptedValue) {
    remainingMs = value.remainingMs;
    value = value.value;
  }
  const loadMs = performance.now() - started;
  events.emit('load', { cache, key: full, durationMs: loadMs, outcome: 'success' });
  if (value === undefined || (options.shouldCache !== undefined && !options.shouldCache(value))) {
    return { value, encoded: undefined, tags };
  }
  const encoded = encodeValue(value, options.target ?? full);
  const bytes = bytesOver(encoded, tiers.options.maxValueBytes);
  if (bytes !== undefined) {
    // The caller still gets its value; storing it would time out in Redis and open the breaker.
    const error = new ValueTooLargeError(full, bytes, tiers.options.maxValueBytes);
    events.emit('value:too-large', tooLarge(keys.prefix, error, 'load'));
    return { value, encoded: undefined, tags };
  }
  const ttlMs = Math.min(tiers.ttl.forValue(value, policy.ttlMs, policy.nullTtlMs), remainingMs ?? Infinity);
  const shared = tiers.options.shareReferences || options.share === true ? deepFreeze(value) : undefined;
  const write = {
    full,
    encoded,
    ttlMs,
    staleMs: policy.staleMs,
    tags,
    loadMs: Math.ceil(loadMs),
    shared,
    seal: request.seal,
  };
  // With the lease the load holds: the write script releases it too, where it can.
  await writer.write(write, l1, l2, { lease, budget });
  return { value, encoded, tags };
}
