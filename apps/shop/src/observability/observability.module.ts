import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { StrataHealthIndicator, StrataMetricsModule } from '@strata/nestjs';
import { Registry } from 'prom-client';
import { DashboardAssets } from './dashboard-assets.js';
import { DashboardController } from './dashboard.controller.js';
import { DashboardSampler } from './dashboard-sampler.service.js';
import { HealthController } from './health.controller.js';
import { METRICS_REGISTRY } from './metrics-registry.js';
import { MetricsController } from './metrics.controller.js';

/**
 * The shop's observability: `GET /metrics` (Prometheus), `GET /health` (Terminus with
 * `StrataHealthIndicator`) and `GET /dashboard` (a live page of hit rates, load latency and
 * write-behind queues). See docs/observability.md ("The shop's dashboard"). With invalidation from
 * the database on, `StrataCdcModule` adds its `strata_cdc_*` metrics to this registry (it finds
 * `StrataMetrics`) and `/health` checks `CdcHealthIndicator` too.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(): DynamicModule {
    // One registry per app: see METRICS_REGISTRY.
    const registry = new Registry();
    return {
      module: ObservabilityModule,
      imports: [StrataMetricsModule.forRoot({ registry }), TerminusModule.forRoot()],
      controllers: [MetricsController, HealthController, DashboardController],
      providers: [
        { provide: METRICS_REGISTRY, useValue: registry },
        StrataHealthIndicator,
        DashboardSampler,
        DashboardAssets,
      ],
    };
  }
}
