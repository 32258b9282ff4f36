import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { PricingModule } from '../pricing/pricing.module.js';
import { RatingService } from '../reviews/rating.service.js';
import { ReviewsService } from '../reviews/reviews.service.js';
import { CatalogController } from './catalog.controller.js';
import { CategoriesService } from './categories.service.js';
import { ProductDetailService } from './product-detail.service.js';
import { ProductEditorService } from './product-editor.service.js';
import { ProductSearchService } from './product-search.service.js';

/** Categories, products, listings, search and reviews (`ViewsService` comes from the global `ViewsModule`). */
@Module({
  imports: [PricingModule, InventoryModule],
  controllers: [CatalogController],
  providers: [
    CategoriesService,
    ProductDetailService,
    ProductEditorService,
    ProductSearchService,
    RatingService,
    ReviewsService,
  ],
  exports: [ProductDetailService, ProductEditorService, PricingModule],
})
export class CatalogModule {}
