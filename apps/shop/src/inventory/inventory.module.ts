import { Module } from '@nestjs/common';
import { StrataModule } from '@strata/nestjs';
import { StockLoader } from './stock.loader.js';
import { StockService } from './stock.service.js';

/** The loader of the `stock` cache, exported so `forFeature` injects it. */
@Module({ providers: [StockLoader], exports: [StockLoader] })
export class InventoryDbModule {}

/** Stock: the `stock` named cache, cache-aside with transaction-aware evictions. */
@Module({
  imports: [
    StrataModule.forFeature({
      imports: [InventoryDbModule],
      caches: [{ name: 'stock', strategy: 'cache-aside', loader: StockLoader, ttl: '10m' }],
    }),
  ],
  providers: [StockService],
  exports: [StockService],
})
export class InventoryModule {}
