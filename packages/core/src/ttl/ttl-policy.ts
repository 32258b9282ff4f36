import type { Duration } from '../duration/duration.js';
import { InvalidTtlError } from '../errors/invalid-ttl.error.js';
import { boundedDuration, durationExpectation, MAX_TTL_MS } from './ttl-limits.js';

const LIFETIME = { maxMs: MAX_TTL_MS };

/**
 * Decides how long an entry lives: the call's `ttl` or the default, `nullTtl` for `null`
 * (never longer than the `ttl`), then a random spread of ±`jitter` so keys written together do
 * not expire together.
 */
export class TtlPolicy {
  constructor(
    private readonly defaults: {
      readonly ttlMs: number;
      readonly nullTtlMs: number;
      readonly jitter: number;
    },
  ) {}

  /**
   * Checks a call's `ttl` and `nullTtl` before its loader runs: throws {@link InvalidTtlError} as
   * {@link TtlPolicy.forValue} would once the value is known.
   */
  check(ttl: Duration | undefined, nullTtl: Duration | undefined): void {
    callTtl(ttl, 'ttl');
    callTtl(nullTtl, 'nullTtl');
  }

  /**
   * Whole milliseconds to live for `value`, at least 1 and at most `MAX_TTL_MS × (1 + jitter)`.
   * Throws {@link InvalidTtlError} for a per-call duration that is not positive or above
   * `MAX_TTL_MS` (365 days).
   */
  forValue(value: unknown, ttl: Duration | undefined, nullTtl: Duration | undefined): number {
    const ttlMs = callTtl(ttl, 'ttl') ?? this.defaults.ttlMs;
    const base =
      value === null ? Math.min(callTtl(nullTtl, 'nullTtl') ?? this.defaults.nullTtlMs, ttlMs) : ttlMs;
    const jitter = this.defaults.jitter;
    const spread = jitter === 0 ? 1 : 1 + jitter * (2 * Math.random() - 1);
    return Math.max(1, Math.round(base * spread));
  }
}

/** Checks a call's TTL option (the stack's are checked at boot, as `StrataConfigError`s). */
function callTtl(value: Duration | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = boundedDuration(value, LIFETIME);
  if (ms === undefined) throw new InvalidTtlError(option, value, durationExpectation(LIFETIME));
  return ms;
}
