import { Inject, Injectable } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import { avg, count, eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { reviews } from '../db/schema.js';

/** A product's rating summary, part of its detail page. */
export interface RatingSummary {
  readonly count: number;
  /** Mean of the ratings, two decimals; `null` without reviews. */
  readonly average: number | null;
}

/**
 * Rating summaries, cached per product. `ReviewsService.add` evicts one when a review is posted,
 * so the next read is fresh (the stale-seller-rating story: a summary cached for an hour must not
 * hide the review just posted).
 */
@Injectable()
export class RatingService {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  @Cacheable({
    key: (productId: number) => `rating:${productId}`,
    ttl: '1h',
    tags: (productId: number) => [`rating:${productId}`],
  })
  async summary(productId: number): Promise<RatingSummary> {
    const [row] = await this.db
      .select({ count: count(), average: avg(reviews.rating) })
      .from(reviews)
      .where(eq(reviews.productId, productId));
    const average = row?.average == null ? null : Math.round(Number(row.average) * 100) / 100;
    return { count: row?.count ?? 0, average };
  }
}
