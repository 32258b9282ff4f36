import type { DashboardPoint } from './dashboard-point.js';

/** One line of a chart: a label and one value per time (`null`: a gap). */
export interface SeriesData {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

/**
 * What `GET /dashboard/data` answers: columns ready for the page's charts (uPlot takes one array
 * of times and one array of values per line, all the same length).
 */
export interface DashboardData {
  /** How often a point is taken (ms). */
  readonly intervalMs: number;
  /** The span each point covers (ms): hit rates and latencies are over this trailing window. */
  readonly windowMs: number;
  /** End of each point's window, epoch seconds (uPlot's time unit). */
  readonly time: readonly number[];
  /** Percent of a cache's lookups answered as hits by a layer, per `"<cache> · <layer>"`. */
  readonly hitRate: readonly SeriesData[];
  /** Load latency p50, p95 and p99 in ms, all caches together. */
  readonly loadLatencyMs: readonly SeriesData[];
  /** Keys with unflushed writes, per write-behind cache. */
  readonly writeBehindDepth: readonly SeriesData[];
  /** Age of the oldest unflushed write (s), per write-behind cache. */
  readonly writeBehindLagSeconds: readonly SeriesData[];
}

type Chart = 'hitRate' | 'loadLatencyMs' | 'writeBehindDepth' | 'writeBehindLagSeconds';

/**
 * The last `capacity` points as columns. A line that appears later (a cache's first lookup) is
 * filled with gaps back to the first point, so every column keeps the length of `time`.
 */
export class DashboardSeries {
  private readonly time: number[] = [];
  private readonly charts: Record<Chart, Map<string, (number | null)[]>> = {
    hitRate: new Map(),
    loadLatencyMs: new Map(),
    writeBehindDepth: new Map(),
    writeBehindLagSeconds: new Map(),
  };

  constructor(private readonly capacity: number) {}

  /** Points held. */
  get length(): number {
    return this.time.length;
  }

  /** Appends a point to every line (a gap for lines it has no value for), dropping the oldest past capacity. */
  push(point: DashboardPoint): void {
    this.time.push(point.at / 1000);
    const latency = new Map<string, number>(
      point.loadMs === undefined
        ? []
        : [
            ['p50', point.loadMs.p50],
            ['p95', point.loadMs.p95],
            ['p99', point.loadMs.p99],
          ],
    );
    this.append('hitRate', point.hitRate);
    this.append('loadLatencyMs', latency);
    this.append('writeBehindDepth', point.writeBehindDepth);
    this.append('writeBehindLagSeconds', point.writeBehindLagSeconds);
    if (this.time.length > this.capacity) {
      this.time.shift();
      for (const lines of Object.values(this.charts)) for (const values of lines.values()) values.shift();
    }
  }

  /** Forgets every point and line (sampling restarts after an idle stop). */
  clear(): void {
    this.time.length = 0;
    for (const lines of Object.values(this.charts)) lines.clear();
  }

  /** A copy of the columns, lines sorted by label so colours stay put between polls. */
  toJSON(intervalMs: number, windowMs: number): DashboardData {
    const lines = (chart: Chart): SeriesData[] =>
      [...this.charts[chart]]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, values]) => ({ label, values: [...values] }));
    return {
      intervalMs,
      windowMs,
      time: [...this.time],
      hitRate: lines('hitRate'),
      loadLatencyMs: lines('loadLatencyMs'),
      writeBehindDepth: lines('writeBehindDepth'),
      writeBehindLagSeconds: lines('writeBehindLagSeconds'),
    };
  }

  private append(chart: Chart, values: ReadonlyMap<string, number>): void {
    const lines = this.charts[chart];
    const length = this.time.length;
    for (const label of values.keys()) {
      if (!lines.has(label)) lines.set(label, new Array<number | null>(length - 1).fill(null));
    }
    for (const [label, column] of lines) column.push(values.get(label) ?? null);
  }
}
