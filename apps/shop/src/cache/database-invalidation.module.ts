import { Module, type DynamicModule } from '@nestjs/common';
import { CdcConsumer, StrataCdcModule } from '@strata/cdc';
import type { ShopConfig } from '../config/shop-config.js';
import { checkDatabaseInvalidation } from './database-invalidation.check.js';
import { DatabaseInvalidationNotice } from './database-invalidation-notice.service.js';
import { shopCdcOptions } from './shop-cdc.options.js';

/**
 * Invalidation from the database (`@strata/cdc`): committed changes of the shop's tables, made by
 * the shop or anyone else (`psql`, another service), drop the cache entries and pages that show
 * them, on every instance.
 *
 * On only when the database can stream its changes ({@link checkDatabaseInvalidation}): then this
 * module imports `StrataCdcModule.forRoot(…)` with the shop's mappings, which builds the
 * `CdcConsumer` on `StrataModule`'s stack, starts it at application bootstrap (a table or replica
 * identity that cannot serve the mappings fails the boot, naming the SQL that fixes it), stops it
 * before `StrataModule` closes the stack, logs through `Logger('StrataCdc')`, adds the
 * `strata_cdc_*` metrics to `/metrics` and provides `CdcHealthIndicator` (on `/health`).
 * Otherwise it imports nothing, and the shop runs as without it; either way one line at boot says
 * which ({@link DatabaseInvalidationNotice}).
 */
@Module({})
export class DatabaseInvalidationModule {
  /**
   * Checks the database, then returns the module: a promise, which Nest awaits among the app's
   * imports, so `ShopModule.forRoot` stays synchronous and the check runs once per app, before
   * the modules are built.
   */
  static async forRoot(config: ShopConfig): Promise<DynamicModule> {
    const check = await checkDatabaseInvalidation(config);
    if (check.kind === 'off') {
      return {
        module: DatabaseInvalidationModule,
        providers: [
          {
            provide: DatabaseInvalidationNotice,
            useFactory: () => DatabaseInvalidationNotice.off(check.level, check.reason),
          },
        ],
      };
    }
    const options = shopCdcOptions(check.url, config.cachePrefix);
    return {
      module: DatabaseInvalidationModule,
      // Global (its default): `CdcConsumer` and `CdcHealthIndicator` can be injected anywhere.
      imports: [StrataCdcModule.forRoot(options)],
      providers: [
        {
          provide: DatabaseInvalidationNotice,
          inject: [CdcConsumer],
          useFactory: (consumer: CdcConsumer) => DatabaseInvalidationNotice.on(consumer, options),
        },
      ],
    };
  }
}
