import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { NoHttpCache, StrataHealthIndicator } from '@strata/nestjs';
import { SHOP_HEALTH_THRESHOLDS } from './shop-health.thresholds.js';

/**
 * `GET /health`: Terminus's report of the cache (Redis reachable and its round trip, breaker,
 * bus, write-behind lag and dead letters), 200 when healthy and 503 when not
 * ({@link SHOP_HEALTH_THRESHOLDS}). Open, like `/metrics`: probes and load balancers carry no token.
 */
@ApiTags('observability')
@Controller('health')
@NoHttpCache()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly strata: StrataHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.strata.isHealthy('cache', SHOP_HEALTH_THRESHOLDS)]);
  }
}
