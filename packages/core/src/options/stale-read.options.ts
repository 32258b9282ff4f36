import type { Duration } from '../duration/duration.js';

/**
 * Probabilistic early refresh (XFetch, Vattani et al., VLDB 2015): a fresh hit starts one
 * background refresh when `now - loadMs × beta × ln(random()) ≥ freshUntil`, where `loadMs` is
 * how long the entry's loader took. The chance rises as expiry nears and with slower loaders,
 * so a hot key is usually recomputed before it expires, by one caller.
 */
export interface EarlyRefreshOptions {
  /**
   * Eagerness: above 1 refreshes earlier, below 1 later.
   * @default 1
   */
  readonly beta?: number;
  /**
   * The uniform random source in [0, 1), replaceable for tests.
   * @default Math.random
   */
  readonly random?: () => number;
}

/**
 * What a read may do with an expired entry, how long its loader may take, and early refresh.
 * Given per call (`getOrLoad`, `@Cacheable`) or as the stack's defaults. See `docs/reads.md`.
 */
export interface StaleReadOptions {
  /**
   * Stale-if-error: how long after its TTL an entry is kept to stand in for a loader that throws
   * or passes `softTimeout` (a retry is then scheduled with backoff). Applies to expiry only: a
   * deleted or invalidated entry is never served. `0`: off.
   * @default 0
   */
  readonly grace?: Duration;
  /**
   * How long after its TTL an entry is served at once while one background refresh replaces
   * it. `0`: off.
   * @default 0
   */
  readonly staleWhileRevalidate?: Duration;
  /**
   * With a stale value to serve (inside `grace`): how long a caller waits for the loader before
   * getting the stale value. The load goes on and stores its result. No effect without a stale
   * value. Must be shorter than `hardTimeout`.
   * @default none (wait for the loader)
   */
  readonly softTimeout?: Duration;
  /**
   * Longest a loader may run: past it the call fails with `LoaderTimeoutError` (or gets the
   * stale value inside `grace`), and the loader's late result is discarded.
   * @default none
   */
  readonly hardTimeout?: Duration;
  /**
   * Probabilistic early refresh of fresh entries (`true`: `beta` 1). The stored load time it
   * needs comes with entries loaded by this release.
   * @default false
   */
  readonly earlyRefresh?: boolean | EarlyRefreshOptions;
}

/** Retries of a refresh that failed while a stale value stands in (`CacheStackOptions.graceRetry`). */
export interface GraceRetryOptions {
  /**
   * Delay before the first retry; each next one waits twice as long. A retry that would fall
   * after the entry's stale window is not scheduled.
   * @default '1s'
   */
  readonly delay?: Duration;
  /**
   * Most retries after one failure (`0`: none). Reads during the backoff get the stale value
   * without calling the loader.
   * @default 5
   */
  readonly maxAttempts?: number;
}

/** Stack-wide defaults of {@link StaleReadOptions}, plus the retry policy. */
export interface StaleReadStackOptions extends StaleReadOptions {
  /** Retries of refreshes that failed while a stale value stands in. */
  readonly graceRetry?: GraceRetryOptions;
}
