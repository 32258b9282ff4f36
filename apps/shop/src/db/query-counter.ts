import type { Logger as DrizzleLogger } from 'drizzle-orm';

/**
 * Counts the SQL statements the shop sends (Drizzle's logger sees every one, on both drivers,
 * transaction statements included), so the admin stats and the load script can say how many
 * database queries the cache saved.
 */
export class QueryCounter implements DrizzleLogger {
  private count = 0;

  /** Statements sent since boot (or the last {@link reset}). */
  get queries(): number {
    return this.count;
  }

  logQuery(): void {
    this.count++;
  }

  /** Starts counting from zero (after migrations and the seed). */
  reset(): void {
    this.count = 0;
  }
}
