import type { Counter, Gauge, Histogram, Metric, Registry } from 'prom-client';

/** The parts of prom-client the metrics are built with (the module, imported by the caller). */
export type PromClient = Pick<typeof import('prom-client'), 'Counter' | 'Gauge' | 'Histogram' | 'register'>;

/**
 * The metrics Strata registered on one registry, with their event subscriptions, so that
 * {@link MetricSet.clear} undoes all of it (an app closed and built again registers afresh).
 */
export class MetricSet {
  private readonly metrics: Metric[] = [];
  private readonly subscriptions: (() => void)[] = [];

  constructor(
    private readonly prom: PromClient,
    readonly registry: Registry,
    /** Prefix of every metric name. */
    readonly prefix: string,
  ) {}

  /** Keeps an event subscription's `off` for {@link MetricSet.clear}. */
  subscribe(off: () => void): void {
    this.subscriptions.push(off);
  }

  /** A counter; `collect` runs when it is scraped (to catch up from counts kept elsewhere). */
  counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (counter: Counter<L>) => void,
  ): Counter<L> {
    const counter: Counter<L> = new this.prom.Counter<L>({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect && { collect: () => collect(counter) }),
    });
    this.metrics.push(counter);
    return counter;
  }

  /** A gauge whose value `collect` reads from live state when it is scraped. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (gauge: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    const gauge: Gauge<L> = new this.prom.Gauge<L>({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
      collect: () => collect(gauge),
    });
    this.metrics.push(gauge);
    return gauge;
  }

  /** A histogram. */
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ): Histogram<L> {
    const histogram = new this.prom.Histogram<L>({
      name: this.prefix + name,
      help,
      labelNames,
      buckets: [...buckets],
      registers: [this.registry],
    });
    this.metrics.push(histogram);
    return histogram;
  }

  /** Unsubscribes and removes every metric from the registry. */
  clear(): void {
    for (const off of this.subscriptions.splice(0)) off();
    for (const metric of this.metrics.splice(0)) this.registry.removeSingleMetric(metricName(metric));
  }
}

/** A metric's name (prom-client keeps it on the instance without typing it). */
function metricName(metric: Metric): string {
  return (metric as unknown as { name: string }).name;
}
