import { StrataConfigError } from '../errors/strata-config.error.js';
import { MAX_TTL_MS } from '../ttl/ttl-limits.js';
import { parseDuration } from './duration.js';

/** How {@link toPositiveMs} bounds a duration. */
export interface DurationBounds {
  /**
   * Largest accepted value, in ms: `MAX_TTL_MS` for lifetimes, `MAX_TIMER_MS` for what a timer
   * waits for.
   * @default MAX_TTL_MS
   */
  readonly maxMs?: number;
  /**
   * Whether `0` is accepted (an "off" value).
   * @default false
   */
  readonly allowZero?: boolean;
}

const LIFETIME: DurationBounds = {};

/**
 * Converts a duration option (ms, or a string such as `'30s'`) to whole milliseconds, once, where
 * the option enters Strata (boot, decorator wrapping, a call's options). Fractions round up, so a
 * positive duration stays positive.
 *
 * @param value - The option's value as given.
 * @param option - The option's name in the error, e.g. `l1.ttl` or `@Cacheable({ ttl }) on X.y`.
 * @param bounds - Upper bound and whether `0` is accepted; by default a positive lifetime.
 * @returns Whole milliseconds within `bounds`.
 * @throws StrataConfigError naming `option` and `value` when it is not a number of ms or an `ms`
 *   string, is `NaN`, infinite, negative, zero (unless allowed) or above `maxMs`. Per-call options
 *   map it to `InvalidTtlError` (see `callDurationMs`).
 */
export function toPositiveMs(value: unknown, option: string, bounds: DurationBounds = LIFETIME): number {
  const ms = positiveMsOrUndefined(value, bounds);
  if (ms === undefined) throw new StrataConfigError(option, value, durationExpectation(bounds));
  return ms;
}

/**
 * Like {@link toPositiveMs}, without an error: `undefined` when `value` is out of `bounds`. For
 * callers that build their own error (per-call options throw `InvalidTtlError`).
 */
export function positiveMsOrUndefined(value: unknown, bounds: DurationBounds = LIFETIME): number | undefined {
  // Numbers, the common case on hot paths, skip the string parser.
  const ms = typeof value === 'number' ? (Number.isFinite(value) ? value : undefined) : parseDuration(value);
  if (ms === undefined || ms < 0 || ms > (bounds.maxMs ?? MAX_TTL_MS)) return undefined;
  if (ms === 0) return bounds.allowZero === true ? 0 : undefined;
  return Math.ceil(ms);
}

/** What a bad duration option is told it should be, in every error about one. */
export function durationExpectation(bounds: DurationBounds = LIFETIME): string {
  const low = bounds.allowZero === true ? 'a duration (0: off)' : 'a positive duration';
  const maxMs = bounds.maxMs ?? MAX_TTL_MS;
  const most = maxMs === MAX_TTL_MS ? '365 days ("365d")' : `${maxMs} ms`;
  return `expected ${low} such as 30000 or "30s", at most ${most}`;
}
