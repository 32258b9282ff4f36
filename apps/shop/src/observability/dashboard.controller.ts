import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { NoHttpCache } from '@strata/nestjs';
import { DashboardAssets } from './dashboard-assets.js';
import { DashboardSampler } from './dashboard-sampler.service.js';
import type { DashboardData } from './dashboard-series.js';
import type { HeaderResponse } from './header-response.js';

/**
 * The live cache dashboard: `GET /dashboard` (a static page drawn with uPlot), the files it loads,
 * and `GET /dashboard/data`, the chart columns it polls every second. Open, like `/metrics`: it
 * shows the same aggregate numbers (cache names, rates, latencies), no keys and no user data.
 */
@ApiTags('observability')
@Controller('dashboard')
@NoHttpCache()
export class DashboardController {
  constructor(
    private readonly assets: DashboardAssets,
    private readonly sampler: DashboardSampler,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'The dashboard page (HTML)' })
  page(@Res({ passthrough: true }) res: HeaderResponse): string {
    return this.send(res, 'dashboard.html');
  }

  /** Hit rate per cache and layer, load latency p50/p95/p99, write-behind depth and lag. */
  @Get('data')
  data(@Res({ passthrough: true }) res: HeaderResponse): Promise<DashboardData> {
    res.setHeader('Cache-Control', 'no-store');
    return this.sampler.read();
  }

  @Get('assets/:name')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string, @Res({ passthrough: true }) res: HeaderResponse): string {
    if (name === 'dashboard.html') throw new NotFoundException();
    return this.send(res, name);
  }

  private send(res: HeaderResponse, name: string): string {
    const asset = this.assets.get(name);
    if (asset === undefined) throw new NotFoundException(`No dashboard file ${name}`);
    res.setHeader('Content-Type', asset.contentType);
    // Revalidated on each load (Express answers 304 by ETag): the demo's files change with the code.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (asset.contentType.startsWith('text/html'))
      res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:");
    return asset.body;
  }
}
