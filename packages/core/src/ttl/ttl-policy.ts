import type { Duration } from '../duration/duration.js';
import { durationExpectation, positiveMsOrUndefined } from '../duration/positive-ms.js';
import { InvalidTtlError } from '../errors/invalid-ttl.error.js';
import { LIFETIME_BOUNDS } from './ttl-limits.js';

/** A call's own lifetimes, in ms; absent: the stack's. */
export interface CallLifetimes {
  /** The call's `ttl`. */
  readonly ttlMs?: number;
  /** The call's `nullTtl`. */
  readonly nullTtlMs?: number;
}

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
   * Whole milliseconds to live for `value`, at least 1 and at most `MAX_TTL_MS × (1 + jitter)`.
   * `ttlMs` and `nullTtlMs` are the call's, already checked by {@link callLifetimeMs} where the
   * call entered the stack; `undefined` takes the stack's.
   */
  forValue(value: unknown, ttlMs: number | undefined, nullTtlMs: number | undefined): number {
    const lifeMs = ttlMs ?? this.defaults.ttlMs;
    const base = value === null ? Math.min(nullTtlMs ?? this.defaults.nullTtlMs, lifeMs) : lifeMs;
    const jitter = this.defaults.jitter;
    const spread = jitter === 0 ? 1 : 1 + jitter * (2 * Math.random() - 1);
    return Math.max(1, Math.round(base * spread));
  }
}

/**
 * A call's lifetime option (`ttl`, `nullTtl`) in whole ms, converted once where the call enters
 * the stack. A number only goes through a few comparisons. Throws {@link InvalidTtlError} for a
 * duration that is not positive or is above `MAX_TTL_MS` (the stack's own are checked at boot,
 * as `StrataConfigError`s).
 */
export function callLifetimeMs(value: Duration | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = positiveMsOrUndefined(value, LIFETIME_BOUNDS);
  if (ms === undefined) throw new InvalidTtlError(option, value, durationExpectation(LIFETIME_BOUNDS));
  return ms;
}

/**
 * `policy` with the call's `ttl` and `nullTtl` in ms (see {@link callLifetimeMs}), so what runs
 * the loader never parses them.
 */
export function withCallLifetimes<P extends CallLifetimes>(
  policy: P,
  ttl: Duration | undefined,
  nullTtl: Duration | undefined,
): P {
  return { ...policy, ttlMs: callLifetimeMs(ttl, 'ttl'), nullTtlMs: callLifetimeMs(nullTtl, 'nullTtl') };
}
