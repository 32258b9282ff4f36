import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { NoHttpCache } from '@strata/nestjs';
import type { Registry } from 'prom-client';
import type { HeaderResponse } from './header-response.js';
import { METRICS_REGISTRY } from './metrics-registry.js';

/**
 * `GET /metrics`: Prometheus's text format, every `strata_*` metric (docs/observability.md).
 * Open, without the admin token: Prometheus scrapes from inside the cluster, and the numbers name
 * caches and routes, never keys or users. Keep it off the public ingress.
 */
@ApiTags('observability')
@Controller('metrics')
@NoHttpCache()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  async metrics(@Res({ passthrough: true }) res: HeaderResponse): Promise<string> {
    const body = await this.registry.metrics();
    res.setHeader('Content-Type', this.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    return body;
  }
}
