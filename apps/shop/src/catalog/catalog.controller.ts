import { Body, Controller, Get, NotFoundException, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { HttpCache } from '@strata/nestjs';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { ShopUser } from '../auth/shop-user.js';
import { ZodApiBody } from '../common/zod-api-body.decorator.js';
import { idParam, ZodPipe } from '../common/zod.pipe.js';
import {
  NewReviewSchema,
  ReviewsService,
  type NewReview,
  type ReviewView,
} from '../reviews/reviews.service.js';
import { ViewsService, type TrendingProduct } from '../views/views.service.js';
import { CategoriesService } from './categories.service.js';
import { categoryForest, type CategoryNode } from './category-tree.js';
import { ProductDetailService, type ProductDetail } from './product-detail.service.js';
import {
  ProductQuerySchema,
  ProductSearchService,
  type ProductPage,
  type ProductQuery,
} from './product-search.service.js';

/**
 * The catalog. Its GET routes are HTTP-cached with `scope: 'public'`: the pages are the same for
 * everyone, so signed-in shoppers (who send `Authorization`) share them too. Product and review
 * pages rely on dependency invalidation (a page is dropped with the cached entries its handler
 * read); listings, the category tree and trending carry route tags as well, the explicit way.
 */
@ApiTags('catalog')
@Controller()
export class CatalogController {
  constructor(
    private readonly categories: CategoriesService,
    private readonly details: ProductDetailService,
    private readonly search: ProductSearchService,
    private readonly reviews: ReviewsService,
    private readonly views: ViewsService,
  ) {}

  @Get('categories')
  @HttpCache({ ttl: '5m', scope: 'public', tags: () => ['categories'] })
  async categoryTree(): Promise<CategoryNode[]> {
    return categoryForest(await this.categories.all());
  }

  @Get('products')
  @ApiQuery({ name: 'q', required: false, description: 'Full-text search in name and description' })
  @ApiQuery({ name: 'category', required: false, description: 'A category id (its subcategories included)' })
  @ApiQuery({ name: 'minPrice', required: false, description: 'In cents' })
  @ApiQuery({ name: 'maxPrice', required: false, description: 'In cents' })
  @ApiQuery({
    name: 'sort',
    required: false,
    enum: ['relevance', 'price_asc', 'price_desc', 'name', 'newest'],
  })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  @HttpCache({ ttl: '10s', scope: 'public', staleWhileRevalidate: '30s', tags: () => ['product-list'] })
  list(@Query(new ZodPipe(ProductQuerySchema)) query: ProductQuery): Promise<ProductPage> {
    return this.search.search(query);
  }

  /** Most viewed products (write-behind counters, as flushed). */
  @Get('trending')
  @HttpCache({ ttl: '10s', scope: 'public', tags: () => ['trending'] })
  trending(): Promise<TrendingProduct[]> {
    return this.views.trending();
  }

  @Get('products/:id')
  // No tags: the page depends on what its handler read (HTTP dependency invalidation), so evicting
  // or invalidating `product:<id>`, `rating:<id>`, a price or a stock entry drops it.
  @HttpCache({ ttl: '30s', scope: 'public', staleWhileRevalidate: '1m' })
  async product(@Param('id') id: string): Promise<ProductDetail> {
    const detail = await this.details.detail(idParam(id));
    if (!detail) throw new NotFoundException(`No product ${id}`);
    return detail;
  }

  @Get('products/:id/reviews')
  @HttpCache({ ttl: '1m', scope: 'public' }) // dropped with `reviews:<id>`, which it read
  reviewsOf(@Param('id') id: string): Promise<ReviewView[]> {
    return this.reviews.latest(idParam(id));
  }

  @Post('products/:id/reviews')
  @ZodApiBody(NewReviewSchema)
  @ApiBearerAuth()
  @UseGuards(AuthGuard)
  addReview(
    @Param('id') id: string,
    @CurrentUser() user: ShopUser,
    @Body(new ZodPipe(NewReviewSchema)) body: NewReview,
  ): Promise<{ id: number }> {
    return this.reviews.add(idParam(id), user, body);
  }
}
