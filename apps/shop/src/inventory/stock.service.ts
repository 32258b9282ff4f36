import { Inject, Injectable } from '@nestjs/common';
import { CacheTransactions, type StrategyCache } from '@strata/core';
import { CacheService, InjectCache } from '@strata/nestjs';
import { eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { stock } from '../db/schema.js';

/**
 * Stock is cache-aside and never write-behind: the database is the only place a quantity is
 * decided (checkout decrements it with a conditional UPDATE in the order's transaction). The cached
 * quantity is for display, and is evicted after each commit that changes it.
 */
@Injectable()
export class StockService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @InjectCache('stock') private readonly stock: StrategyCache<number>,
    private readonly transactions: CacheTransactions,
    private readonly cache: CacheService,
  ) {}

  /** Units in stock (cached), `undefined` for an unknown product. */
  quantityOf(productId: number): Promise<number | undefined> {
    return this.stock.get(String(productId));
  }

  /**
   * Sets a product's stock (an admin restock). The eviction is queued inside `transactions.run`
   * and applied after COMMIT, so a reader between the UPDATE and the COMMIT cannot re-cache the
   * old quantity.
   *
   * @returns whether the product exists
   */
  async setQuantity(productId: number, quantity: number): Promise<boolean> {
    const updated = await this.transactions.run(() =>
      this.db.transaction(async (tx) => {
        const rows = await tx
          .update(stock)
          .set({ quantity })
          .where(eq(stock.productId, productId))
          .returning({ id: stock.productId });
        await this.evictQuantities([productId]); // queued: runs after COMMIT
        return rows.length > 0;
      }),
    );
    await this.evictDetails([productId]);
    return updated;
  }

  /**
   * Evicts the cached quantities of these products. Called inside `transactions.run` (checkout),
   * the evictions are queued and applied after COMMIT, dropped on ROLLBACK.
   */
  async evictQuantities(productIds: readonly number[]): Promise<void> {
    for (const id of productIds) await this.stock.delete(String(id));
  }

  /**
   * Drops the product details that show these quantities (tag `product:<id>`), and with them the
   * pages built from them. Tag invalidations are not queued by `transactions.run`: call this once
   * the transaction has committed.
   */
  evictDetails(productIds: readonly number[]): Promise<void> {
    return this.cache.invalidateTags(productIds.map((id) => `product:${id}`));
  }
}
