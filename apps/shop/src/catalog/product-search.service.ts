import { Inject, Injectable } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { DATABASE, type Database } from '../db/database.js';
import { prices, products } from '../db/schema.js';
import { CategoriesService } from './categories.service.js';
import { categoryAndDescendants } from './category-tree.js';

/** Query string of `GET /products`, normalized (defaults filled in) before it becomes a cache key. */
export const ProductQuerySchema = z.object({
  q: z.string().trim().min(1).max(100).optional(),
  category: z.coerce.number().int().positive().optional(),
  minPrice: z.coerce.number().int().min(0).optional(),
  maxPrice: z.coerce.number().int().min(0).optional(),
  sort: z.enum(['relevance', 'price_asc', 'price_desc', 'name', 'newest']).default('relevance'),
  page: z.coerce.number().int().min(1).max(500).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
/** A validated {@link ProductQuerySchema}. */
export type ProductQuery = z.infer<typeof ProductQuerySchema>;

/** One line of a listing. */
export interface ProductSummary {
  readonly id: number;
  readonly sku: string;
  readonly name: string;
  readonly categoryId: number;
  readonly amountCents: number;
  readonly currency: string;
}

/** A page of a listing. */
export interface ProductPage {
  readonly items: ProductSummary[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

const ORDER: Record<Exclude<ProductQuery['sort'], 'relevance'>, SQL[]> = {
  price_asc: [asc(prices.amountCents), asc(products.id)],
  price_desc: [desc(prices.amountCents), asc(products.id)],
  name: [asc(products.name), asc(products.id)],
  newest: [desc(products.createdAt), asc(products.id)],
};

/**
 * Listings and text search. Query caching: each distinct normalized query is one entry, short-lived
 * (30 s) and tagged `product-list`, which price changes invalidate (a listing shows prices and can
 * sort by them).
 */
@Injectable()
export class ProductSearchService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly categories: CategoriesService,
  ) {}

  @Cacheable({
    key: (query: ProductQuery) => `products:${listingKey(query)}`,
    ttl: '30s',
    tags: ['product-list'],
  })
  async search(query: ProductQuery): Promise<ProductPage> {
    const document = sql`to_tsvector('english', ${products.name} || ' ' || ${products.description})`;
    const match = query.q ? sql`${document} @@ plainto_tsquery('english', ${query.q})` : undefined;
    const inCategory =
      query.category === undefined
        ? undefined
        : inArray(products.categoryId, categoryAndDescendants(await this.categories.all(), query.category));
    const where = and(
      eq(prices.deleted, false),
      match,
      inCategory,
      query.minPrice === undefined ? undefined : gte(prices.amountCents, query.minPrice),
      query.maxPrice === undefined ? undefined : lte(prices.amountCents, query.maxPrice),
    );
    const order =
      query.sort === 'relevance'
        ? query.q
          ? [sql`ts_rank(${document}, plainto_tsquery('english', ${query.q})) desc`, asc(products.id)]
          : [asc(products.id)]
        : ORDER[query.sort];
    const rows = await this.db
      .select({
        id: products.id,
        sku: products.sku,
        name: products.name,
        categoryId: products.categoryId,
        amountCents: prices.amountCents,
        currency: prices.currency,
        total: sql<number>`count(*) over ()`.mapWith(Number),
      })
      .from(products)
      .innerJoin(prices, eq(prices.productId, products.id))
      .where(where)
      .orderBy(...order)
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize);
    return {
      items: rows.map(({ total: _total, ...item }) => item),
      total: rows[0]?.total ?? 0,
      page: query.page,
      pageSize: query.pageSize,
    };
  }
}

/** The cache key of a listing: every field in a fixed order, so equal queries share an entry. */
function listingKey(query: ProductQuery): string {
  const q = query.q === undefined ? '' : encodeURIComponent(query.q.toLowerCase());
  return [
    q,
    query.category ?? '',
    query.minPrice ?? '',
    query.maxPrice ?? '',
    query.sort,
    query.page,
    query.pageSize,
  ].join('|');
}
