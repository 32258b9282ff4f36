import { Module, type DynamicModule } from '@nestjs/common';
import { HttpCacheModule, StrataModule } from '@strata/nestjs';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import { DatabaseInvalidationModule } from './cache/database-invalidation.module.js';
import { CartsModule } from './carts/carts.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import {
  SHOP_CONFIG,
  type ShopConfig,
  shopEncryptionOptions,
  shopRedisOptions,
} from './config/shop-config.js';
import { DatabaseModule } from './db/database.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { ViewsModule } from './views/views.module.js';

/**
 * The shop. One cache stack for the app (`StrataModule.forRoot`): memory only, or L1 in front of
 * Redis with `REDIS_URL`. With `cacheEnabled: false` (the load script's baseline), the same code
 * runs on a stack whose L1 keeps nothing (`maxBytes: 1`: every entry is larger) and without the
 * HTTP cache, so every read goes to the database. On a PostgreSQL with `wal_level = logical`,
 * committed changes of its tables also invalidate what shows them (`DatabaseInvalidationModule`,
 * which imports `StrataCdcModule` when the database can stream its changes).
 */
@Module({})
export class ShopModule {
  static forRoot(config: ShopConfig): DynamicModule {
    return {
      module: ShopModule,
      imports: [
        {
          module: ShopConfigModule,
          global: true,
          providers: [{ provide: SHOP_CONFIG, useValue: config }],
          exports: [SHOP_CONFIG],
        },
        DatabaseModule.forRoot(config),
        StrataModule.forRoot({
          prefix: config.cachePrefix,
          ttl: '5m',
          redis: shopRedisOptions(config),
          l1: config.cacheEnabled ? { maxEntries: 50_000 } : { maxBytes: 1 },
          ...withEncryption(config),
        }),
        // Shared pages fail closed on cookies: a visitor's analytics cookies must not make every
        // catalogue page a miss, and no cached handler reads them.
        // Bound to every route; with the cache off, `@HttpCache` is knowingly inert.
        HttpCacheModule.forRoot({
          publicCookies: ['_ga', '_gid', '_fbp'],
          interceptor: config.cacheEnabled ? 'global' : 'off',
        }),
        AuthModule,
        CatalogModule,
        CartsModule.forRoot(config),
        ViewsModule.forRoot(config),
        OrdersModule,
        AdminModule,
        // Invalidation from the database (@strata/cdc) when it can stream its changes: a promise
        // of the module (Nest awaits it), since deciding takes a query.
        DatabaseInvalidationModule.forRoot(config),
        // /metrics, /health and the live cache dashboard (src/observability).
        ObservabilityModule.forRoot(),
      ],
    };
  }
}

/** Holds the {@link ShopConfig} provider (global, so any module can inject `SHOP_CONFIG`). */
@Module({})
class ShopConfigModule {}

/** `{ encryption }` when the shop has a key (see `shopEncryptionOptions`), else nothing. */
function withEncryption(config: ShopConfig): {
  encryption?: NonNullable<ReturnType<typeof shopEncryptionOptions>>;
} {
  const encryption = shopEncryptionOptions(config);
  return encryption === undefined ? {} : { encryption };
}
