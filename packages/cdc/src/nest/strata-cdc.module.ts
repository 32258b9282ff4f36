import { Module } from '@nestjs/common';
import { CdcConsumer } from '../consumer/cdc-consumer.js';
import { CdcHealthIndicator } from './cdc-health.indicator.js';
import { CdcLifecycle } from './cdc-lifecycle.service.js';
import { cdcConsumerProvider } from './cdc-consumer.provider.js';
import { StrataCdcConfigurableModule } from './strata-cdc.module-definition.js';

/**
 * Invalidation from the database for a Nest app: `forRoot(options)` / `forRootAsync({ imports,
 * inject, useFactory })` build a {@link CdcConsumer} on the app's `CacheStack` (so
 * `StrataModule.forRoot` must be imported too), start it when the app boots and stop it on
 * shutdown before the stack closes. Global by default; provides `CdcConsumer` (inject it by its
 * class, for `status()` and `events`) and {@link CdcHealthIndicator}. Logs through
 * `Logger('StrataCdc')`; with `StrataMetricsModule`, adds `strata_cdc_*` metrics to its registry.
 *
 * Boot fails with a `CdcError` when the database cannot serve the mappings (`wal_level` is not
 * `logical`, the role lacks `REPLICATION`, a mapped table is missing or its replica identity does
 * not send what its mapping reads on a delete) unless `required: false`; an unreachable database
 * only degrades it.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     StrataModule.forRoot({ prefix: 'shop', redis: { url: process.env.REDIS_URL } }),
 *     StrataCdcModule.forRoot({
 *       connection: 'postgres://strata_cdc@db:5432/shop',
 *       tables: {
 *         prices: (change) => ({ tags: [`product:${String((change.new ?? change.old)?.['product_id'])}`] }),
 *       },
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  providers: [cdcConsumerProvider, CdcLifecycle, CdcHealthIndicator],
  exports: [CdcConsumer, CdcHealthIndicator],
})
export class StrataCdcModule extends StrataCdcConfigurableModule {}
