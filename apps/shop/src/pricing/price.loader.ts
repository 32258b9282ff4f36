import { Inject, Injectable } from '@nestjs/common';
import type { CacheLoader } from '@strata/core';
import { and, eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { prices } from '../db/schema.js';
import type { Price } from './price.js';

/** Loads a price on a miss of the `prices` cache; a tombstone is "no price" (`null`, cached briefly). */
@Injectable()
export class PriceLoader implements CacheLoader<Price> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async load(productId: string): Promise<Price | null> {
    const [row] = await this.db
      .select({ amountCents: prices.amountCents, currency: prices.currency })
      .from(prices)
      .where(and(eq(prices.productId, Number(productId)), eq(prices.deleted, false)));
    return row ?? null;
  }
}
