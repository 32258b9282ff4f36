import type { Registry } from 'prom-client';

/** Options of `StrataMetricsModule.forRoot` / {@link StrataMetrics}. */
export interface StrataMetricsOptions {
  /**
   * The registry the metrics are registered on: pass the one your `/metrics` endpoint serves,
   * so the app keeps one endpoint.
   * @default prom-client's default `register`
   */
  readonly registry?: Registry;
  /**
   * Prefix of every metric name.
   * @default 'strata_'
   */
  readonly prefix?: string;
  /**
   * Buckets (seconds) of `strata_load_duration_seconds`.
   * @default [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  readonly loadBuckets?: readonly number[];
  /**
   * Buckets (seconds) of `strata_write_behind_flush_duration_seconds`.
   * @default [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
   */
  readonly flushBuckets?: readonly number[];
}

/** Default buckets of `strata_load_duration_seconds`: 1 ms (an L2-fast source) to 10 s. */
export const DEFAULT_LOAD_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Default buckets of `strata_write_behind_flush_duration_seconds`. */
export const DEFAULT_FLUSH_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Buckets of `strata_write_behind_flush_batch_size` (records per writer call). */
export const BATCH_SIZE_BUCKETS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];
