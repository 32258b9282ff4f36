import { Inject, Injectable } from '@nestjs/common';
import { CacheEvict, CachePut } from '@strata/nestjs';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { DATABASE, type Database } from '../db/database.js';
import { products } from '../db/schema.js';
import { ProductDetailService, type ProductDetail } from './product-detail.service.js';

/** The body of `PATCH /admin/products/:id`. */
export const ProductPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().trim().min(1).max(5_000).optional(),
  })
  .refine((patch) => patch.name !== undefined || patch.description !== undefined, {
    message: 'give name or description',
  });
/** A validated {@link ProductPatchSchema}. */
export type ProductPatch = z.infer<typeof ProductPatchSchema>;

/**
 * Edits product texts. `@CachePut` stores the freshly assembled detail under `product:<id>`: the
 * product's HTTP page, which read that key, is dropped by dependency invalidation, and its next
 * build reads the new detail from the cache instead of reloading it. `@CacheEvict` drops the
 * listings (tag `product-list`), which show names but never read `product:<id>`.
 */
@Injectable()
export class ProductEditorService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly details: ProductDetailService,
  ) {}

  /** The updated detail, or `null` for an unknown product. */
  @CachePut({ key: (id: number) => `product:${id}`, tags: (id: number) => [`product:${id}`] })
  @CacheEvict({ tags: ['product-list'] })
  async update(id: number, patch: ProductPatch): Promise<ProductDetail | null> {
    const updated = await this.db
      .update(products)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(products.id, id))
      .returning({ id: products.id });
    return updated.length === 0 ? null : this.details.assemble(id);
  }
}
