import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { InventoryModule } from '../inventory/inventory.module.js';
import { AdminController } from './admin.controller.js';
import { CacheStatsService } from './cache-stats.service.js';
import { DeadLettersController } from './dead-letters.controller.js';

/** Admin routes, the cache statistics they report, and the write-behind dead letters. */
@Module({
  imports: [CatalogModule, InventoryModule],
  controllers: [AdminController, DeadLettersController],
  providers: [CacheStatsService],
})
export class AdminModule {}
