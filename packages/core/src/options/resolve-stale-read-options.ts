import { z } from 'zod';
import { toPositiveMs } from '../duration/positive-ms.js';
import { TIMER_BOUNDS } from '../ttl/ttl-limits.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { NO_STALE_READS, resolveReadPolicy, type ReadPolicy } from './stale-policy.js';
import type { StaleReadStackOptions } from './stale-read.options.js';

/** {@link StaleReadStackOptions} validated, with defaults applied and durations in ms. */
export interface ResolvedStaleReads extends ReadPolicy {
  /** Whether early refresh is on by default (read on every `getOrLoad`, so kept a boolean). */
  readonly earlyRefresh: boolean;
  /** Retries of failed refreshes while a stale value stands in. */
  readonly retry: { readonly delayMs: number; readonly maxAttempts: number };
}

/**
 * Keys of the stale-read options in the stack's option schema. Their values are checked by
 * {@link resolveStaleReads}, the same code that checks them per call.
 */
export const staleReadSchemaShape = {
  grace: z.unknown().optional(),
  staleWhileRevalidate: z.unknown().optional(),
  softTimeout: z.unknown().optional(),
  hardTimeout: z.unknown().optional(),
  earlyRefresh: z.unknown().optional(),
  graceRetry: z.unknown().optional(),
};

/**
 * Validates the stack-wide stale-read options and applies their defaults. Throws
 * {@link StrataConfigError} naming the bad option.
 */
export function resolveStaleReads(options: StaleReadStackOptions): ResolvedStaleReads {
  const policy = resolveReadPolicy(options, NO_STALE_READS);
  const retry: unknown = options.graceRetry ?? {};
  if (typeof retry !== 'object' || retry === null) {
    throw new StrataConfigError('graceRetry', retry, 'expected { delay?, maxAttempts? }');
  }
  const { delay, maxAttempts, ...rest } = retry as { delay?: unknown; maxAttempts?: unknown };
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) {
    throw new StrataConfigError(`graceRetry.${unknownKey}`, options.graceRetry, 'unknown option');
  }
  // Waited for with a timer.
  const delayMs = delay === undefined ? 1_000 : toPositiveMs(delay, 'graceRetry.delay', TIMER_BOUNDS);
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || (maxAttempts as number) < 0)) {
    throw new StrataConfigError('graceRetry.maxAttempts', maxAttempts, 'expected an integer ≥ 0');
  }
  return {
    ...policy,
    earlyRefresh: policy.early !== undefined,
    retry: { delayMs, maxAttempts: (maxAttempts as number | undefined) ?? 5 },
  };
}
