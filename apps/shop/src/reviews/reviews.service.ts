import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { CacheEvict, Cacheable } from '@strata/nestjs';
import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { ShopUser } from '../auth/shop-user.js';
import { DATABASE, type Database } from '../db/database.js';
import { products, reviews, users } from '../db/schema.js';

/** The body of `POST /products/:id/reviews`. */
export const NewReviewSchema = z.object({
  rating: z.number().int().min(1).max(5),
  body: z.string().trim().min(1).max(2_000),
});
/** A validated {@link NewReviewSchema}. */
export type NewReview = z.infer<typeof NewReviewSchema>;

/** A review as listed on a product page. */
export interface ReviewView {
  readonly id: number;
  readonly author: string;
  readonly rating: number;
  readonly body: string;
  readonly createdAt: Date;
}

/** Product reviews: posting one evicts the product's rating summary and the pages that show it. */
@Injectable()
export class ReviewsService {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Stores a review. After it commits, `@CacheEvict` drops the cached rating summary
   * (`rating:<id>`), the product detail and its HTTP page (tag `product:<id>`) and the review list
   * (`reviews:<id>`): the next read of any of them is fresh.
   */
  @CacheEvict({
    keys: (productId: number) => [`rating:${productId}`],
    tags: (productId: number) => [`product:${productId}`, `reviews:${productId}`],
  })
  async add(productId: number, user: ShopUser, review: NewReview): Promise<{ id: number }> {
    const [product] = await this.db
      .select({ id: products.id })
      .from(products)
      .where(eq(products.id, productId));
    if (!product) throw new NotFoundException(`No product ${productId}`);
    const [row] = await this.db
      .insert(reviews)
      .values({ productId, userId: user.id, rating: review.rating, body: review.body })
      .returning({ id: reviews.id });
    if (!row) throw new Error('INSERT … RETURNING returned no row');
    return row;
  }

  /** The 20 latest reviews of a product (cached, tag `reviews:<id>`). */
  @Cacheable({
    key: (productId: number) => `reviews:${productId}`,
    ttl: '10m',
    tags: (productId: number) => [`reviews:${productId}`],
  })
  async latest(productId: number): Promise<ReviewView[]> {
    return this.db
      .select({
        id: reviews.id,
        author: users.name,
        rating: reviews.rating,
        body: reviews.body,
        createdAt: reviews.createdAt,
      })
      .from(reviews)
      .innerJoin(users, eq(users.id, reviews.userId))
      .where(eq(reviews.productId, productId))
      .orderBy(desc(reviews.id))
      .limit(20);
  }
}
