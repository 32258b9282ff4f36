import { ScopedStorage } from '../async/scoped-storage.js';

type PendingOperation = () => Promise<void>;

/**
 * Defers cache writes and evictions made inside a database transaction until it commits, and
 * drops them if it rolls back: evicting before the commit would let a reader re-cache the old
 * row between the eviction and the commit. The data layer calls {@link CacheTransactions.run}
 * around its transaction; strategies call {@link CacheTransactions.defer}.
 *
 * @example
 * ```ts
 * await transactions.run(() => db.transaction(async (tx) => {
 *   await tx.update(products).set({ price }).where(eq(products.id, id));
 *   await productsCache.delete(id); // runs after COMMIT; dropped on ROLLBACK
 * }));
 * ```
 */
export class CacheTransactions {
  /** On only while a transaction runs (see {@link ScopedStorage}). */
  private readonly scope = new ScopedStorage<PendingOperation[]>();

  /** Whether the caller is inside {@link CacheTransactions.run}. */
  get active(): boolean {
    return this.scope.store !== undefined;
  }

  /**
   * Runs `transaction`; when it resolves, applies the cache operations deferred inside it, in
   * order; when it throws, drops them and rethrows. A nested call joins the outer transaction.
   * Every deferred operation is attempted even if one fails (the database has committed); the
   * first failure is then thrown.
   */
  async run<R>(transaction: () => Promise<R>): Promise<R> {
    if (this.active) return transaction();
    const pending: PendingOperation[] = [];
    const result = await this.scope.run(pending, transaction);
    const failures: unknown[] = [];
    for (const operation of pending) {
      try {
        await operation();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
    return result;
  }

  /** Applies `operation` now, or after the surrounding transaction commits. */
  async defer(operation: PendingOperation): Promise<void> {
    const pending = this.scope.store;
    if (pending === undefined) return operation();
    pending.push(operation);
  }
}
