import { parseDuration, type Duration } from '../duration/duration.js';
import { StrataConfigError } from '../errors/strata-config.error.js';

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
   * Milliseconds to live for `value`. Throws {@link StrataConfigError} for a per-call duration
   * that is not positive.
   */
  forValue(value: unknown, ttl: Duration | undefined, nullTtl: Duration | undefined): number {
    const ttlMs = toMs(ttl, 'ttl') ?? this.defaults.ttlMs;
    const base =
      value === null ? Math.min(toMs(nullTtl, 'nullTtl') ?? this.defaults.nullTtlMs, ttlMs) : ttlMs;
    const jitter = this.defaults.jitter;
    return jitter === 0 ? base : Math.max(1, Math.round(base * (1 + jitter * (2 * Math.random() - 1))));
  }
}

function toMs(value: Duration | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new StrataConfigError(option, value, 'expected a positive duration such as 30000 or "30s"');
  }
  return ms;
}
