import { Injectable } from '@nestjs/common';
import type { StrategyCache } from '@strata/core';
import { CacheService, InjectCache } from '@strata/nestjs';
import type { Price } from './price.js';

/**
 * Prices are write-through: `set` persists through {@link PriceWriter} and then caches the new
 * price, so the next read (a product page, a checkout's preview) sees it without a database read.
 */
@Injectable()
export class PricesService {
  constructor(
    @InjectCache('prices') private readonly prices: StrategyCache<Price>,
    private readonly cache: CacheService,
  ) {}

  /** The cached price, or the database's on a miss. */
  priceOf(productId: number): Promise<Price | undefined> {
    return this.prices.get(String(productId));
  }

  /**
   * Changes a price. After the write-through, the pages and objects that show it are dropped: the
   * product detail and its HTTP page (tag `product:<id>`) and the listings (`product-list`).
   */
  async changePrice(productId: number, price: Price): Promise<void> {
    await this.prices.set(String(productId), price);
    await this.cache.invalidateTags([`product:${productId}`, 'product-list']);
  }
}
