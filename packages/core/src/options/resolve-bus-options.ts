import { z } from 'zod';
import { parseDuration } from '../duration/duration.js';
import { boundedDuration, durationExpectation, MAX_TIMER_MS, MAX_TTL_MS } from '../ttl/ttl-limits.js';
import type { BusOptions, LeaseOptions } from './cache-stack.options.js';

/** {@link BusOptions} validated, with defaults applied and durations in ms. */
export interface ResolvedBusOptions {
  readonly channel: string;
  readonly outageTtlMs: number;
}

/** {@link LeaseOptions} validated, with defaults applied. */
export interface ResolvedLeaseOptions {
  readonly ttlMs: number;
}

/** Schema of the `lease` option (`false` or {@link LeaseOptions}). */
export const leaseSchema = z.union([
  z.literal(false),
  z.strictObject({
    ttl: z
      // Renewed by a timer every third of it.
      .custom<number | string>((value) => boundedDuration(value, { maxMs: MAX_TIMER_MS }) !== undefined, {
        message: durationExpectation({ maxMs: MAX_TIMER_MS }),
      })
      .optional(),
  }),
]);

/**
 * Applies the lease defaults.
 *
 * @param lease - The validated `lease` option.
 * @returns The lease settings, or `undefined` when turned off.
 */
export function resolveLease(lease: LeaseOptions | false | undefined): ResolvedLeaseOptions | undefined {
  if (lease === false) return undefined;
  return { ttlMs: parseDuration(lease?.ttl) ?? 5_000 };
}

/** Schema of the `bus` option (`false` or {@link BusOptions}). */
export const busSchema = z.union([
  z.literal(false),
  z.strictObject({
    channel: z.string().min(1, 'expected a non-empty channel name').optional(),
    outageTtl: z
      .custom<number | string>(
        (value) => boundedDuration(value, { maxMs: MAX_TTL_MS, allowZero: true }) !== undefined,
        { message: durationExpectation({ maxMs: MAX_TTL_MS, allowZero: true }) },
      )
      .optional(),
  }),
]);

/**
 * Applies the bus defaults.
 *
 * @param bus - The validated `bus` option.
 * @param prefix - The stack's key prefix (the default channel is `<prefix>:bus`).
 * @returns The bus settings, or `undefined` when it is turned off.
 */
export function resolveBus(
  bus: BusOptions | false | undefined,
  prefix: string,
): ResolvedBusOptions | undefined {
  if (bus === false) return undefined;
  const outageTtl = bus?.outageTtl;
  return {
    channel: bus?.channel ?? `${prefix}:bus`,
    outageTtlMs: outageTtl === 0 ? 0 : (parseDuration(outageTtl) ?? 1_000),
  };
}
