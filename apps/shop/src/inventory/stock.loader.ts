import { Inject, Injectable } from '@nestjs/common';
import type { CacheLoader } from '@strata/core';
import { eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { stock } from '../db/schema.js';

/** Loads a product's units in stock on a miss of the `stock` cache (`null`: no such product). */
@Injectable()
export class StockLoader implements CacheLoader<number> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async load(productId: string): Promise<number | null> {
    const [row] = await this.db
      .select({ quantity: stock.quantity })
      .from(stock)
      .where(eq(stock.productId, Number(productId)));
    return row?.quantity ?? null;
  }
}
