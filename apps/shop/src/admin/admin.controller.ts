import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CacheService, NoHttpCache } from '@strata/nestjs';
import { z } from 'zod';
import { AdminGuard } from '../auth/auth.guard.js';
import { CartsService } from '../carts/carts.service.js';
import type { ProductDetail } from '../catalog/product-detail.service.js';
import {
  ProductEditorService,
  ProductPatchSchema,
  type ProductPatch,
} from '../catalog/product-editor.service.js';
import { ZodApiBody } from '../common/zod-api-body.decorator.js';
import { idParam, ZodPipe } from '../common/zod.pipe.js';
import { StockService } from '../inventory/stock.service.js';
import { PricesService } from '../pricing/prices.service.js';
import { ViewsService } from '../views/views.service.js';
import { SHOP_CACHE_NAMESPACES } from './cache-namespaces.js';
import { CacheStatsService, type CacheStats } from './cache-stats.service.js';

const PriceBody = z.object({
  amountCents: z.number().int().min(0).max(100_000_000),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('EUR'),
});
const StockBody = z.object({ quantity: z.number().int().min(0).max(1_000_000) });
const InvalidateBody = z
  .object({
    key: z.string().min(1).optional(),
    // An unknown namespace would drop nothing and still answer 204: reject it instead.
    namespace: z
      .enum(SHOP_CACHE_NAMESPACES, { error: `expected one of ${SHOP_CACHE_NAMESPACES.join(', ')}` })
      .optional(),
    tags: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((b) => b.key !== undefined || b.tags !== undefined || b.namespace !== undefined, {
    message: 'give key (with an optional namespace), tags, or namespace',
  });

/** Admin routes (`Authorization: Bearer admin-token`): cache stats, invalidation, prices, stock. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin')
@UseGuards(AdminGuard)
@NoHttpCache()
export class AdminController {
  constructor(
    private readonly stats: CacheStatsService,
    private readonly cache: CacheService,
    private readonly prices: PricesService,
    private readonly stock: StockService,
    private readonly carts: CartsService,
    private readonly views: ViewsService,
    private readonly editor: ProductEditorService,
  ) {}

  /** Hit rate per cache and layer, database queries, queries saved (estimate). */
  @Get('cache/stats')
  cacheStats(): CacheStats {
    return this.stats.snapshot();
  }

  @Post('cache/stats/reset')
  @HttpCode(204)
  resetStats(): void {
    this.stats.reset();
  }

  /**
   * `{ "key": "product:42" }` (namespace `default` unless given), `{ "tags": ["product-list"] }`,
   * or `{ "namespace": "http" }` (every cached page). An unknown namespace answers 400.
   */
  @Post('cache/invalidate')
  @ZodApiBody(InvalidateBody)
  @HttpCode(204)
  async invalidate(@Body(new ZodPipe(InvalidateBody)) body: z.infer<typeof InvalidateBody>): Promise<void> {
    if (body.key !== undefined) await this.cache.delete(body.key, { namespace: body.namespace ?? 'default' });
    if (body.tags !== undefined) await this.cache.invalidateTags(body.tags);
    if (body.key === undefined && body.namespace !== undefined)
      await this.cache.invalidateNamespace(body.namespace);
  }

  /** Delivers the write-behind journals (carts, view counters) to the database now. */
  @Post('flush')
  @HttpCode(204)
  async flush(): Promise<void> {
    await Promise.all([this.carts.flush(), this.views.flush()]);
  }

  /** Changes a price (write-through): visible on the next read, no stale page. */
  @Put('products/:id/price')
  @ZodApiBody(PriceBody)
  async setPrice(@Param('id') id: string, @Body(new ZodPipe(PriceBody)) body: z.infer<typeof PriceBody>) {
    const productId = idParam(id);
    if ((await this.prices.priceOf(productId)) === undefined)
      throw new NotFoundException(`No price for product ${id}`);
    await this.prices.changePrice(productId, body);
    return { productId, ...body };
  }

  /** Edits a product's name or description (`@CachePut` of the detail, the page evicted). */
  @Patch('products/:id')
  @ZodApiBody(ProductPatchSchema)
  async editProduct(
    @Param('id') id: string,
    @Body(new ZodPipe(ProductPatchSchema)) body: ProductPatch,
  ): Promise<ProductDetail> {
    const detail = await this.editor.update(idParam(id), body);
    if (!detail) throw new NotFoundException(`No product ${id}`);
    return detail;
  }

  /** Sets stock (a restock); the cached quantity is evicted after COMMIT. */
  @Put('products/:id/stock')
  @ZodApiBody(StockBody)
  async setStock(@Param('id') id: string, @Body(new ZodPipe(StockBody)) body: z.infer<typeof StockBody>) {
    const productId = idParam(id);
    if (!(await this.stock.setQuantity(productId, body.quantity)))
      throw new BadRequestException(`No product ${id}`);
    return { productId, quantity: body.quantity };
  }
}
