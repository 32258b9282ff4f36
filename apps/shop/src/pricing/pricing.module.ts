import { Module } from '@nestjs/common';
import { StrataModule } from '@strata/nestjs';
import { PriceLoader } from './price.loader.js';
import { PriceWriter } from './price.writer.js';
import { PricesService } from './prices.service.js';

/** The loader and writer of the `prices` cache, exported so `forFeature` injects them. */
@Module({ providers: [PriceLoader, PriceWriter], exports: [PriceLoader, PriceWriter] })
export class PricingDbModule {}

/** Prices: the `prices` named cache, write-through. */
@Module({
  imports: [
    StrataModule.forFeature({
      imports: [PricingDbModule],
      caches: [
        { name: 'prices', strategy: 'write-through', loader: PriceLoader, writer: PriceWriter, ttl: '1h' },
      ],
    }),
  ],
  providers: [PricesService],
  exports: [PricesService],
})
export class PricingModule {}
