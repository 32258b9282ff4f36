import { z } from 'zod';
import { toPositiveMs } from '../duration/positive-ms.js';
import { TIMER_BOUNDS, WINDOW_BOUNDS } from '../ttl/ttl-limits.js';
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
    // Checked by resolveLease (renewed by a timer every third of it).
    ttl: z.unknown().optional(),
  }),
]);

/**
 * Applies the lease defaults.
 *
 * @param lease - The `lease` option (its shape validated).
 * @returns The lease settings, or `undefined` when turned off.
 * @throws StrataConfigError for a bad `lease.ttl`.
 */
export function resolveLease(lease: LeaseOptions | false | undefined): ResolvedLeaseOptions | undefined {
  if (lease === false) return undefined;
  const ttl = lease?.ttl;
  return { ttlMs: ttl === undefined ? 5_000 : toPositiveMs(ttl, 'lease.ttl', TIMER_BOUNDS) };
}

/** Schema of the `bus` option (`false` or {@link BusOptions}). */
export const busSchema = z.union([
  z.literal(false),
  z.strictObject({
    channel: z.string().min(1, 'expected a non-empty channel name').optional(),
    // Checked by resolveBus.
    outageTtl: z.unknown().optional(),
  }),
]);

/**
 * Applies the bus defaults.
 *
 * @param bus - The `bus` option (its shape validated).
 * @param prefix - The stack's key prefix (the default channel is `<prefix>:bus`).
 * @returns The bus settings, or `undefined` when it is turned off.
 * @throws StrataConfigError for a bad `bus.outageTtl`.
 */
export function resolveBus(
  bus: BusOptions | false | undefined,
  prefix: string,
): ResolvedBusOptions | undefined {
  if (bus === false) return undefined;
  const outageTtl = bus?.outageTtl;
  return {
    channel: bus?.channel ?? `${prefix}:bus`,
    outageTtlMs: outageTtl === undefined ? 1_000 : toPositiveMs(outageTtl, 'bus.outageTtl', WINDOW_BOUNDS),
  };
}
