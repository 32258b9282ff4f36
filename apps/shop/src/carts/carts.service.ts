import { Injectable, NotFoundException } from '@nestjs/common';
import { PerKeyOrder, type WriteBehindStrategyCache } from '@strata/core';
import { InjectCache } from '@strata/nestjs';
import { ProductDetailService } from '../catalog/product-detail.service.js';
import type { Cart } from './cart.js';

const EMPTY: Cart = { items: [] };

/**
 * Carts are written behind: an edit updates the cache and the journal and returns; the flusher
 * writes the latest cart of each user to Postgres (coalesced). Reads see the latest edit even
 * before it is flushed.
 */
@Injectable()
export class CartsService {
  /** Edits of one user's cart run one at a time in this process, so two quick edits cannot lose one. */
  private readonly edits = new PerKeyOrder();

  constructor(
    @InjectCache('carts') private readonly carts: WriteBehindStrategyCache<Cart>,
    private readonly products: ProductDetailService,
  ) {}

  /** The user's cart (empty when none). */
  async get(userId: number): Promise<Cart> {
    return (await this.carts.get(String(userId))) ?? EMPTY;
  }

  /** Sets a line's quantity (`0` removes it); 404 for an unknown product. */
  async setItem(userId: number, productId: number, quantity: number): Promise<Cart> {
    if (quantity > 0 && !(await this.products.detail(productId))) {
      throw new NotFoundException(`No product ${productId}`);
    }
    let result = EMPTY;
    await this.edits.run(String(userId), async () => {
      const current = await this.get(userId);
      const others = current.items.filter((line) => line.productId !== productId);
      const items = quantity > 0 ? [...others, { productId, quantity }] : others;
      result = { items: items.sort((a, b) => a.productId - b.productId) };
      await (result.items.length > 0
        ? this.carts.set(String(userId), result)
        : this.carts.delete(String(userId)));
    });
    return result;
  }

  /** Empties the cart (a tombstone once flushed). */
  async clear(userId: number): Promise<void> {
    await this.edits.run(String(userId), () => this.carts.delete(String(userId)));
  }

  /** Delivers every unflushed cart now (the admin flush, and tests). */
  flush(): Promise<void> {
    return this.carts.flush();
  }
}
