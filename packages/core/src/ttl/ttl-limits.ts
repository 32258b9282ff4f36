/**
 * Longest time to live Strata accepts, for `ttl`, `nullTtl`, `grace`, `staleWhileRevalidate` and
 * the other lifetimes: 365 days. Redis's own bound (`PX` of a signed 64-bit millisecond count) is
 * far above, so an entry's whole life (its TTL raised by jitter, plus its stale window) is always
 * one Redis takes, and every time derived from it stays an exact integer in JavaScript.
 */
export const MAX_TTL_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Longest duration of what Strata waits for with a timer (`commandTimeout`, `hardTimeout`,
 * `lease.ttl`, …): 2^31 - 1 ms, about 24.8 days. Node fires a longer `setTimeout` at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Bounds of a lifetime: positive, at most `MAX_TTL_MS`. */
export const LIFETIME_BOUNDS = { maxMs: MAX_TTL_MS } as const;

/** Bounds of a lifetime that `0` turns off (`grace`, `bus.outageTtl`). */
export const WINDOW_BOUNDS = { maxMs: MAX_TTL_MS, allowZero: true } as const;

/** Bounds of what a timer waits for: positive, at most `MAX_TIMER_MS`. */
export const TIMER_BOUNDS = { maxMs: MAX_TIMER_MS } as const;
