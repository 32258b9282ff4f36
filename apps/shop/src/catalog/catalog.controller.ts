import { Body, Controller, Get, NotFoundException, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { HttpCache } from '@strata/nestjs';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { ShopRequest, ShopUser } from '../auth/shop-user.js';
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

/** A product page's tags: its data (`product:<id>`), and the page alone (`product-page:<id>`). */
const productTags = (request: ShopRequest): string[] => [
  `product:${request.params.id ?? ''}`,
  `product-page:${request.params.id ?? ''}`,
];

/**
 * The catalog. Its GET routes are HTTP-cached with `scope: 'public'`: the pages are the same for
 * everyone, so signed-in shoppers (who send `Authorization`) share them too. Each page carries the
 * tags its data is invalidated by, so a price change, a checkout or a review drops it at once.
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
  @HttpCache<ShopRequest>({ ttl: '30s', scope: 'public', staleWhileRevalidate: '1m', tags: productTags })
  async product(@Param('id') id: string): Promise<ProductDetail> {
    const detail = await this.details.detail(idParam(id));
    if (!detail) throw new NotFoundException(`No product ${id}`);
    return detail;
  }

  @Get('products/:id/reviews')
  @HttpCache<ShopRequest>({
    ttl: '1m',
    scope: 'public',
    tags: (request) => [`reviews:${request.params.id ?? ''}`],
  })
  reviewsOf(@Param('id') id: string): Promise<ReviewView[]> {
    return this.reviews.latest(idParam(id));
  }

  @Post('products/:id/reviews')
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
