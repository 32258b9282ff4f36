import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { InventoryModule } from '../inventory/inventory.module.js';
import { AdminController } from './admin.controller.js';
import { CacheStatsService } from './cache-stats.service.js';

/** Admin routes and the cache statistics they report. */
@Module({
  imports: [CatalogModule, InventoryModule],
  controllers: [AdminController],
  providers: [CacheStatsService],
})
export class AdminModule {}
