/**
 * The time source of a cache stack: wall-clock milliseconds, as `Date.now()` gives them. Entry
 * freshness, L1 expiry, lease waits and write tokens read time through it, so a test can drive
 * them without waiting.
 */
export interface StrataClock {
  /** The current time in ms since the epoch. */
  now(): number;
}

/**
 * The default clock: reads `Date.now()` at each call (not a captured reference), so fake timers
 * installed after the stack was built still apply.
 */
export const SYSTEM_CLOCK: StrataClock = { now: () => Date.now() };

/** Whether `value` can serve as a {@link StrataClock}. */
export function isStrataClock(value: unknown): value is StrataClock {
  return (
    typeof value === 'object' && value !== null && typeof (value as { now?: unknown }).now === 'function'
  );
}
