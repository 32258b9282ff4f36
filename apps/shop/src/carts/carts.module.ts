import { Module, type DynamicModule } from '@nestjs/common';
import { StrataModule } from '@strata/nestjs';
import { CatalogModule } from '../catalog/catalog.module.js';
import type { ShopConfig } from '../config/shop-config.js';
import { CartLoader } from './cart.loader.js';
import { CartWriter } from './cart.writer.js';
import { CartsController } from './carts.controller.js';
import { CartsService } from './carts.service.js';

/** The loader and writer of the `carts` cache, exported so `forFeature` injects them. */
@Module({ providers: [CartLoader, CartWriter], exports: [CartLoader, CartWriter] })
export class CartsDbModule {}

/**
 * Carts: the `carts` write-behind cache. The journal is a Redis Stream with `REDIS_URL` (survives
 * an instance crash), process memory without (survives a clean shutdown only).
 */
@Module({})
export class CartsModule {
  static forRoot(config: ShopConfig): DynamicModule {
    return {
      module: CartsModule,
      // Global: checkout (OrdersModule) uses the carts declared here, with the app's options.
      global: true,
      imports: [
        CatalogModule,
        StrataModule.forFeature({
          imports: [CartsDbModule],
          caches: [
            {
              name: 'carts',
              strategy: 'write-behind',
              loader: CartLoader,
              writer: CartWriter,
              ttl: '1h',
              flushInterval: config.flushInterval,
              batchSize: 500,
            },
          ],
        }),
      ],
      controllers: [CartsController],
      providers: [CartsService],
      exports: [CartsService],
    };
  }
}
