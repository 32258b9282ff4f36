import { Inject, Injectable } from '@nestjs/common';
import type { WriteBehindStrategyCache } from '@strata/core';
import { Cacheable, InjectCache } from '@strata/nestjs';
import { desc, eq } from 'drizzle-orm';
import { ProductDetailService } from '../catalog/product-detail.service.js';
import { DATABASE, type Database } from '../db/database.js';
import { productViews, products } from '../db/schema.js';

/** A line of the trending list. */
export interface TrendingProduct {
  readonly id: number;
  readonly name: string;
  readonly views: number;
}

/**
 * Product view counters, written behind with `increment`: a view costs one journal append (in
 * memory, or one Redis script), never a database write or a read-modify-write; the flusher sums
 * the deltas per product.
 */
@Injectable()
export class ViewsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @InjectCache('views') private readonly views: WriteBehindStrategyCache<number>,
    private readonly details: ProductDetailService,
  ) {}

  /**
   * Counts one view of a product that exists; resolves whether it did. An unknown id is not
   * counted: its row would fail the foreign key at flush time and become a dead letter, so anyone
   * could fill the dead letters with `GET /products/<any number>`. The check is the page's own
   * cached detail (an unknown id's `null` is cached too), so it costs a lookup in L1, not a query.
   */
  async recordView(productId: number): Promise<boolean> {
    if ((await this.details.detail(productId)) === null) return false;
    await this.views.increment(String(productId), 1);
    return true;
  }

  /** The 10 most viewed products, as flushed to the database (cached 10 s, tag `trending`). */
  @Cacheable({ key: 'trending', ttl: '10s', tags: ['trending'] })
  async trending(): Promise<TrendingProduct[]> {
    return this.db
      .select({ id: products.id, name: products.name, views: productViews.count })
      .from(productViews)
      .innerJoin(products, eq(products.id, productViews.productId))
      .orderBy(desc(productViews.count), products.id)
      .limit(10);
  }

  /** Delivers unflushed counts now (the admin flush). */
  flush(): Promise<void> {
    return this.views.flush();
  }
}
