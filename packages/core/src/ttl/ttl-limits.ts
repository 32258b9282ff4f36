import { parseDuration } from '../duration/duration.js';

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

/** How a duration may be bounded. */
export interface DurationBounds {
  /** Largest accepted value, in ms. */
  readonly maxMs: number;
  /** Whether `0` is accepted (an "off" value). */
  readonly allowZero?: boolean;
}

/**
 * The duration in ms, or `undefined` when `value` is not one within `bounds` (not a number of ms
 * or an `ms` string, `NaN`, infinite, negative, zero unless allowed, or above `maxMs`).
 */
export function boundedDuration(value: unknown, bounds: DurationBounds): number | undefined {
  const ms = parseDuration(value);
  if (ms === undefined || ms > bounds.maxMs) return undefined;
  return ms > 0 || bounds.allowZero === true ? ms : undefined;
}

/** What a bad duration option is told: what was expected. */
export function durationExpectation(bounds: DurationBounds): string {
  const low = bounds.allowZero === true ? 'a duration (0: off)' : 'a positive duration';
  return `expected ${low} such as 30000 or "30s", at most ${describeMs(bounds.maxMs)}`;
}

function describeMs(ms: number): string {
  return ms === MAX_TTL_MS ? '365 days ("365d")' : `${ms} ms`;
}
