import type { RedisTimeBudget } from './redis-time-budget.js';

/** How a {@link GuardedRun} treats its command besides the common rules. */
export interface GuardedRunOptions {
  /**
   * Sent when the command failed without an answer from Redis (its operation's Redis time ran
   * out, it timed out, the connection dropped): the command may still run, so what it would do
   * is undone (a lease taken after its caller gave up is released).
   */
  readonly undo?: () => Promise<unknown>;
  /**
   * Upkeep the caller does not need the answer of but Redis must get (a lease renewal or
   * release): when the operation's Redis time is spent, it is still sent, with time of its own,
   * and not waited for.
   */
  readonly background?: boolean;
  /**
   * The Redis time of the operation the command is part of, when the caller holds it (a miss
   * hands it from step to step); else the operation's found through the async context.
   */
  readonly budget?: RedisTimeBudget;
}

/** Runs a Redis command the way every L2 command runs: `undefined` when skipped or failed. */
export type GuardedRun = <T>(
  operation: string,
  command: () => Promise<T>,
  options?: GuardedRunOptions,
) => Promise<T | undefined>;

/** What one guarded command came to. `refused`: Redis answered no (out of memory). */
export type Attempt<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refused: boolean };

/** No answer: the command was skipped (Redis down, breaker open, time spent) or it failed. */
export const SKIPPED: Attempt<never> = { ok: false, refused: false };
/** A command Redis refused (out of memory). */
export const REFUSED: Attempt<never> = { ok: false, refused: true };
