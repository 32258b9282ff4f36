import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { StrataMetrics, type StrataMetricsSnapshot } from '@strata/nestjs';
import { COUNTER_CACHES } from '../admin/cache-stats.service.js';
import { dashboardPoint } from './dashboard-point.js';
import { DashboardSeries, type DashboardData } from './dashboard-series.js';

/** A point every second: the page polls at the same pace. */
export const SAMPLE_INTERVAL_MS = 1_000;
/** Each point covers the last 5 s, so a few requests a second still give steady percentiles. */
export const WINDOW_SAMPLES = 5;
/** Points kept: 5 minutes. */
export const MAX_POINTS = 300;
/** Sampling stops once nobody has asked for the data for this long. */
export const IDLE_STOP_MS = 60_000;

/**
 * Takes a `StrataMetrics` snapshot every second while the dashboard is open and turns each one
 * into a chart point (`dashboardPoint`: the difference with the snapshot 5 s before; the first
 * points after a start cover what has been sampled so far, 1 to 4 s). Kept on the server, so
 * every open page sees the same history from its first poll and the windowed percentiles are
 * computed once, with the library's own `quantileFromBuckets`. It starts on the first `read()`
 * and stops after a minute without one: an app nobody watches pays nothing.
 */
@Injectable()
export class DashboardSampler implements OnModuleDestroy {
  private readonly logger = new Logger('Dashboard');
  private readonly series = new DashboardSeries(MAX_POINTS);
  /** The last snapshots, oldest first: the window of the next point starts at the first. */
  private readonly recent: StrataMetricsSnapshot[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The sample in progress, awaited by the next read and by shutdown. */
  private sampling: Promise<void> | undefined;
  private lastRead = 0;
  private closed = false;

  constructor(private readonly metrics: StrataMetrics) {}

  /** The chart columns; starts sampling when it is not running (the first call has no point yet). */
  async read(): Promise<DashboardData> {
    this.lastRead = Date.now();
    if (this.timer === undefined && !this.closed) {
      this.series.clear();
      this.recent.length = 0;
      this.timer = setInterval(() => this.tick(), SAMPLE_INTERVAL_MS);
      await this.sample();
    }
    return this.series.toJSON(SAMPLE_INTERVAL_MS, SAMPLE_INTERVAL_MS * WINDOW_SAMPLES);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.stop();
    await this.sampling;
  }

  private tick(): void {
    if (Date.now() - this.lastRead > IDLE_STOP_MS) {
      this.stop();
      return;
    }
    void this.sample();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample at a time: a slow snapshot (Redis timing out) makes the next tick wait its turn. */
  private sample(): Promise<void> {
    this.sampling ??= this.takeSample().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async takeSample(): Promise<void> {
    let snapshot: StrataMetricsSnapshot;
    try {
      snapshot = await this.metrics.snapshot();
    } catch (error) {
      this.logger.warn(`metrics snapshot failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const earliest = this.recent[0];
    if (earliest !== undefined) this.series.push(dashboardPoint(earliest, snapshot, COUNTER_CACHES));
    this.recent.push(snapshot);
    if (this.recent.length > WINDOW_SAMPLES) this.recent.shift();
  }
}
