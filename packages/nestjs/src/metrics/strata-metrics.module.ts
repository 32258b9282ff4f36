import { Module, type FactoryProvider } from '@nestjs/common';
import { StrataConfigError, WriteBehindStrategy, type CacheStack } from '@strata/core';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';
import {
  STRATA_METRICS_OPTIONS,
  StrataMetricsConfigurableModule,
} from './strata-metrics.module-definition.js';
import type { StrataMetricsOptions } from './strata-metrics.options.js';
import { StrataMetrics } from './strata-metrics.js';

/**
 * Builds the {@link StrataMetrics} of the app's cache stack. prom-client is imported here, when
 * the module is used, so apps without metrics need not install it.
 */
const metricsProvider: FactoryProvider<StrataMetrics> = {
  provide: StrataMetrics,
  inject: [STRATA_CACHE_STACK, STRATA_METRICS_OPTIONS, { token: WriteBehindStrategy, optional: true }],
  useFactory: async (
    stack: CacheStack,
    options: StrataMetricsOptions,
    writeBehind: WriteBehindStrategy | undefined,
  ): Promise<StrataMetrics> => {
    const prom = await import('prom-client').catch((error: unknown) => {
      throw new StrataConfigError(
        'StrataMetricsModule',
        'prom-client',
        `cannot be imported: install it (a peer dependency of @strata/nestjs) (${error instanceof Error ? error.message : String(error)})`,
      );
    });
    const metrics = new StrataMetrics(prom, stack, writeBehind, options);
    metrics.start();
    return metrics;
  },
};

/**
 * Prometheus metrics for Strata (docs/observability.md): lookups by cache, layer and result, load
 * latency, L1 size, Redis and breaker state, write-behind depth, lag, retries and dead letters,
 * and HTTP cache results by route. Registers on the registry you pass (your `/metrics` keeps
 * serving everything), or on prom-client's default one. Needs `StrataModule.forRoot` and
 * `prom-client` (a peer dependency).
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * @Module({ imports: [StrataModule.forRoot({ prefix: 'shop' }), StrataMetricsModule.forRoot({ registry })] })
 * export class AppModule {}
 * // in a controller: @Get('metrics') metrics() { return registry.metrics(); }
 * ```
 */
@Module({ providers: [metricsProvider], exports: [StrataMetrics] })
export class StrataMetricsModule extends StrataMetricsConfigurableModule {}
