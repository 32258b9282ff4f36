import { ConflictException, Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { CacheTransactions } from '@strata/core';
import { CacheService } from '@strata/nestjs';
import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { CartsService } from '../carts/carts.service.js';
import { DATABASE, type Database } from '../db/database.js';
import { orderItems, orders, prices, stock } from '../db/schema.js';
import { StockService } from '../inventory/stock.service.js';

/** The body of `POST /orders`: the lines to buy, or none to check out the cart. */
export const NewOrderSchema = z.object({
  items: z
    .array(z.object({ productId: z.number().int().positive(), quantity: z.number().int().min(1).max(99) }))
    .min(1)
    .max(50)
    .optional(),
});
/** A validated {@link NewOrderSchema}. */
export type NewOrder = z.infer<typeof NewOrderSchema>;

/** An order as returned and listed. */
export interface OrderView {
  readonly id: number;
  readonly totalCents: number;
  readonly currency: string;
  readonly createdAt: Date;
  readonly items: { productId: number; quantity: number; unitPriceCents: number }[];
}

/**
 * Checkout: one database transaction that re-reads the prices (never the cache: the order is
 * charged what the database says), decrements stock with a conditional UPDATE per line (so
 * concurrent checkouts can never sell more than there is), and records the order. The cached
 * quantities are evicted after COMMIT (queued by `CacheTransactions.run`), and the product pages
 * and the buyer's order history after that.
 */
@Injectable()
export class OrdersService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly transactions: CacheTransactions,
    private readonly stock: StockService,
    private readonly carts: CartsService,
    private readonly cache: CacheService,
  ) {}

  /** Places an order; 409 when a line is out of stock, 422 for an empty cart or an unsold product. */
  async checkout(userId: number, request: NewOrder): Promise<OrderView> {
    const fromCart = request.items === undefined;
    const lines = mergeLines(request.items ?? [...(await this.carts.get(userId)).items]);
    if (lines.length === 0) throw new UnprocessableEntityException('The cart is empty');
    const ids = lines.map((line) => line.productId);

    const order = await this.transactions.run(() =>
      this.db.transaction(async (tx) => {
        const current = await tx
          .select({ productId: prices.productId, amountCents: prices.amountCents, currency: prices.currency })
          .from(prices)
          .where(and(inArray(prices.productId, ids), eq(prices.deleted, false)));
        const priceOf = new Map(current.map((p) => [p.productId, p]));
        const currencies = new Set(current.map((p) => p.currency));
        const missing = ids.filter((id) => !priceOf.has(id));
        if (missing.length > 0) throw new UnprocessableEntityException(`Not for sale: ${missing.join(', ')}`);
        if (currencies.size > 1) throw new UnprocessableEntityException('An order has one currency');

        // Lines in product order: two orders lock the same rows in the same order (no deadlock).
        for (const line of lines) {
          const updated = await tx
            .update(stock)
            .set({ quantity: sql`${stock.quantity} - ${line.quantity}` })
            .where(and(eq(stock.productId, line.productId), gte(stock.quantity, line.quantity)))
            .returning({ quantity: stock.quantity });
          if (updated.length === 0) throw new ConflictException(`Product ${line.productId} is out of stock`);
        }
        const items = lines.map((line) => ({
          ...line,
          unitPriceCents: priceOf.get(line.productId)?.amountCents ?? 0,
        }));
        const totalCents = items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0);
        const [created] = await tx
          .insert(orders)
          .values({ userId, totalCents, currency: [...currencies][0] ?? 'EUR' })
          .returning({ id: orders.id, createdAt: orders.createdAt });
        if (!created) throw new Error('INSERT … RETURNING returned no row');
        await tx.insert(orderItems).values(items.map((item) => ({ orderId: created.id, ...item })));
        await this.stock.evictQuantities(ids); // queued: applied after COMMIT, dropped on ROLLBACK
        return {
          id: created.id,
          totalCents,
          currency: [...currencies][0] ?? 'EUR',
          createdAt: created.createdAt,
          items,
        };
      }),
    );
    await this.stock.evictDetails(ids);
    await this.cache.invalidateTags([`orders:${userId}`]);
    if (fromCart) await this.carts.clear(userId);
    return order;
  }

  /** The user's orders, newest first (the last 50). */
  async history(userId: number): Promise<OrderView[]> {
    const rows = await this.db
      .select()
      .from(orders)
      .where(eq(orders.userId, userId))
      .orderBy(desc(orders.id))
      .limit(50);
    if (rows.length === 0) return [];
    const lines = await this.db
      .select()
      .from(orderItems)
      .where(
        inArray(
          orderItems.orderId,
          rows.map((row) => row.id),
        ),
      );
    return rows.map((row) => ({
      id: row.id,
      totalCents: row.totalCents,
      currency: row.currency,
      createdAt: row.createdAt,
      items: lines
        .filter((line) => line.orderId === row.id)
        .map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    }));
  }
}

function mergeLines(
  lines: readonly { productId: number; quantity: number }[],
): { productId: number; quantity: number }[] {
  const merged = new Map<number, number>();
  for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  return [...merged].sort(([a], [b]) => a - b).map(([productId, quantity]) => ({ productId, quantity }));
}
