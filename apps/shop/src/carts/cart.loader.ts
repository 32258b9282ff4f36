import { Inject, Injectable } from '@nestjs/common';
import type { CacheLoader } from '@strata/core';
import { and, eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { carts } from '../db/schema.js';
import type { Cart } from './cart.js';

/** Loads a cart on a miss (after a restart, or past its TTL); a tombstone is no cart. */
@Injectable()
export class CartLoader implements CacheLoader<Cart> {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async load(userId: string): Promise<Cart | null> {
    const [row] = await this.db
      .select({ items: carts.items })
      .from(carts)
      .where(and(eq(carts.userId, Number(userId)), eq(carts.deleted, false)));
    return row ?? null;
  }
}
