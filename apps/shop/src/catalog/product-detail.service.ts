import { Inject, Injectable } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import { eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { products, type ProductAttributes } from '../db/schema.js';
import { StockService } from '../inventory/stock.service.js';
import type { Price } from '../pricing/price.js';
import { PricesService } from '../pricing/prices.service.js';
import { RatingService, type RatingSummary } from '../reviews/rating.service.js';
import { categoryPath, type Category } from './category-tree.js';
import { CategoriesService } from './categories.service.js';

/** The product page's object: the product, its category path, price, stock and rating summary. */
export interface ProductDetail {
  readonly id: number;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: ProductAttributes;
  readonly categoryPath: readonly Category[];
  readonly price: Price | null;
  readonly inStock: number;
  readonly rating: RatingSummary;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * Assembles product details from five sources, each cached on its own (the category tree, the
 * `prices` and `stock` named caches, the rating summary) and the whole object cached again under
 * `product:<id>` with the tag `product:<id>`. Whatever changes one part (a price, a checkout, a
 * review) invalidates that tag, which drops this object and the product's HTTP page together; the
 * rebuild then reads only the part that changed.
 */
@Injectable()
export class ProductDetailService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly categories: CategoriesService,
    private readonly prices: PricesService,
    private readonly stock: StockService,
    private readonly ratings: RatingService,
  ) {}

  /** The detail, or `null` for an unknown id (cached for `nullTtl`, so probing ids stays cheap). */
  @Cacheable({ key: (id: number) => `product:${id}`, ttl: '10m', tags: (id: number) => [`product:${id}`] })
  detail(id: number): Promise<ProductDetail | null> {
    return this.assemble(id);
  }

  /** The detail read from its sources, bypassing this object's own cache entry (for `@CachePut`). */
  async assemble(id: number): Promise<ProductDetail | null> {
    const [row] = await this.db.select().from(products).where(eq(products.id, id));
    if (!row) return null;
    const [all, price, inStock, rating] = await Promise.all([
      this.categories.all(),
      this.prices.priceOf(id),
      this.stock.quantityOf(id),
      this.ratings.summary(id),
    ]);
    return {
      id: row.id,
      sku: row.sku,
      name: row.name,
      description: row.description,
      attributes: row.attributes,
      categoryPath: categoryPath(all, row.categoryId),
      price: price ?? null,
      inStock: inStock ?? 0,
      rating,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}
