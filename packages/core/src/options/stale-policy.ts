import { InvalidTtlError } from '../errors/invalid-ttl.error.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { durationExpectation, positiveMsOrUndefined, type DurationBounds } from '../duration/positive-ms.js';
import { TIMER_BOUNDS as TIMEOUT, WINDOW_BOUNDS as WINDOW } from '../ttl/ttl-limits.js';
import type { CallLifetimes } from '../ttl/ttl-policy.js';
import type { StaleReadOptions } from './stale-read.options.js';

/**
 * {@link StaleReadOptions} of one call (or the stack's defaults), in ms, with the call's own
 * lifetimes when it sets them.
 */
export interface ReadPolicy extends CallLifetimes {
  /** Stale-if-error window after `freshUntil`; 0: off. */
  readonly graceMs: number;
  /** Stale-while-revalidate window after `freshUntil`; 0: off. */
  readonly swrMs: number;
  /** `max(graceMs, swrMs)`: how long past its TTL an entry written now is kept. */
  readonly staleMs: number;
  readonly softTimeoutMs: number | undefined;
  readonly hardTimeoutMs: number | undefined;
  /** XFetch parameters; `undefined`: no early refresh. */
  readonly early: EarlyRefresh | undefined;
}

/** Resolved XFetch parameters. */
export interface EarlyRefresh {
  readonly beta: number;
  readonly random: () => number;
}

/** The built-in defaults: no stale reads, no timeouts, no early refresh. */
export const NO_STALE_READS: ReadPolicy = {
  graceMs: 0,
  swrMs: 0,
  staleMs: 0,
  softTimeoutMs: undefined,
  hardTimeoutMs: undefined,
  early: undefined,
};

const DEFAULT_EARLY: EarlyRefresh = { beta: 1, random: Math.random };

/** Names an option in errors: `grace` by default, `@Cacheable({ grace }) on X` for a decorator. */
export type OptionLabel = (option: string) => string;

const plain: OptionLabel = (option) => option;

/**
 * Builds the error for a bad duration: a `StrataConfigError` for the stack's and decorators'
 * options (checked at boot), an `InvalidTtlError` for a call's.
 */
export type DurationFailure = (option: string, value: unknown, reason: string) => Error;

const configFailure: DurationFailure = (option, value, reason) =>
  new StrataConfigError(option, value, reason);

/** The {@link DurationFailure} of a call's options: an `InvalidTtlError`. */
export const invalidTtl: DurationFailure = (option, value, reason) =>
  new InvalidTtlError(option, value, reason);

/**
 * The policy of a call: `options` over `defaults`. Returns `defaults` itself (no allocation) when
 * the call sets none of the stale-read options. Throws {@link StrataConfigError} naming the bad
 * option (or what `fail` builds, for a bad duration).
 */
export function resolveReadPolicy(
  options: StaleReadOptions,
  defaults: ReadPolicy,
  label: OptionLabel = plain,
  fail: DurationFailure = configFailure,
): ReadPolicy {
  const { grace, staleWhileRevalidate, softTimeout, hardTimeout, earlyRefresh } = options;
  if (
    grace === undefined &&
    staleWhileRevalidate === undefined &&
    softTimeout === undefined &&
    hardTimeout === undefined &&
    earlyRefresh === undefined
  ) {
    return defaults;
  }
  const graceMs = checked(grace, label('grace'), WINDOW, fail) ?? defaults.graceMs;
  const swrMs = checked(staleWhileRevalidate, label('staleWhileRevalidate'), WINDOW, fail) ?? defaults.swrMs;
  const softTimeoutMs = checked(softTimeout, label('softTimeout'), TIMEOUT, fail) ?? defaults.softTimeoutMs;
  const hardTimeoutMs = checked(hardTimeout, label('hardTimeout'), TIMEOUT, fail) ?? defaults.hardTimeoutMs;
  if (softTimeoutMs !== undefined && hardTimeoutMs !== undefined && softTimeoutMs >= hardTimeoutMs) {
    throw fail(
      label('softTimeout'),
      softTimeout ?? softTimeoutMs,
      `must be shorter than hardTimeout (${hardTimeoutMs} ms)`,
    );
  }
  return {
    graceMs,
    swrMs,
    staleMs: Math.max(graceMs, swrMs),
    softTimeoutMs,
    hardTimeoutMs,
    early: early(earlyRefresh, defaults.early, label),
  };
}

function checked(
  value: unknown,
  option: string,
  bounds: DurationBounds,
  fail: DurationFailure,
): number | undefined {
  if (value === undefined) return undefined;
  const ms = positiveMsOrUndefined(value, bounds);
  if (ms === undefined) throw fail(option, value, durationExpectation(bounds));
  return ms;
}

function early(
  value: unknown,
  fallback: EarlyRefresh | undefined,
  label: OptionLabel,
): EarlyRefresh | undefined {
  if (value === undefined) return fallback;
  if (value === false) return undefined;
  const base = fallback ?? DEFAULT_EARLY;
  if (value === true) return base;
  if (typeof value !== 'object' || value === null) {
    throw new StrataConfigError(label('earlyRefresh'), value, 'expected a boolean or { beta?, random? }');
  }
  const { beta, random, ...rest } = value as { beta?: unknown; random?: unknown };
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) {
    throw new StrataConfigError(label(`earlyRefresh.${unknownKey}`), value, 'unknown option');
  }
  if (beta !== undefined && (typeof beta !== 'number' || !Number.isFinite(beta) || beta <= 0)) {
    throw new StrataConfigError(label('earlyRefresh.beta'), beta, 'expected a positive number');
  }
  if (random !== undefined && typeof random !== 'function') {
    throw new StrataConfigError(label('earlyRefresh.random'), random, 'expected a function returning [0, 1)');
  }
  if (beta === undefined && random === undefined) return base;
  return {
    beta: beta ?? base.beta,
    random: (random as (() => number) | undefined) ?? base.random,
  };
}
