import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { CdcHealthIndicator } from '@strata/cdc';
import { NoHttpCache, StrataHealthIndicator } from '@strata/nestjs';
import { SHOP_HEALTH_THRESHOLDS } from './shop-health.thresholds.js';

/**
 * `GET /health`: Terminus's report of the cache (Redis reachable and its round trip, breaker,
 * bus, write-behind lag and dead letters), 200 when healthy and 503 when not
 * ({@link SHOP_HEALTH_THRESHOLDS}). With invalidation from the database on, also `cdc`
 * (`CdcHealthIndicator`: down when the consumer is degraded or its slot lags past `maxLagBytes`).
 * Open, like `/metrics`: probes and load balancers carry no token.
 */
@ApiTags('observability')
@Controller('health')
@NoHttpCache()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly strata: StrataHealthIndicator,
    // Provided by StrataCdcModule (global), which the shop imports only when it is on.
    @Optional() @Inject(CdcHealthIndicator) private readonly cdc?: CdcHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    const { cdc } = this;
    return this.health.check([
      () => this.strata.isHealthy('cache', SHOP_HEALTH_THRESHOLDS),
      ...(cdc === undefined ? [] : [() => cdc.isHealthy('cdc')]),
    ]);
  }
}
