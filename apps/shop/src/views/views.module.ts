import {
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { StrataModule } from '@strata/nestjs';
import { CatalogModule } from '../catalog/catalog.module.js';
import type { ShopConfig } from '../config/shop-config.js';
import { ViewCountWriter } from './view-count.writer.js';
import { ViewCounterMiddleware } from './view-counter.middleware.js';
import { ViewsService } from './views.service.js';

/** The writer of the `views` cache, exported so `forFeature` injects it. */
@Module({ providers: [ViewCountWriter], exports: [ViewCountWriter] })
export class ViewsDbModule {}

/** View counters and the trending list: the `views` write-behind cache (counters, no loader). */
@Module({})
export class ViewsModule implements NestModule {
  static forRoot(config: ShopConfig): DynamicModule {
    return {
      module: ViewsModule,
      global: true,
      imports: [
        // The product detail: only views of products that exist are counted.
        CatalogModule,
        StrataModule.forFeature({
          imports: [ViewsDbModule],
          caches: [
            {
              name: 'views',
              strategy: 'write-behind',
              writer: ViewCountWriter,
              flushInterval: config.flushInterval,
            },
          ],
        }),
      ],
      providers: [ViewsService, ViewCounterMiddleware],
      exports: [ViewsService],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ViewCounterMiddleware).forRoutes({ path: 'products/*id', method: RequestMethod.GET });
  }
}
